//! Compiles the gRPC contract in `proto/` with a vendored protoc, so no
//! system install is needed, and exports the descriptor set for reflection.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: build scripts are single-threaded; nothing else reads the
    // environment concurrently.
    unsafe { env::set_var("PROTOC", protoc) };
    let include = protoc_bin_vendored::include_path()?;
    let out = PathBuf::from(env::var("OUT_DIR")?);

    let files = [
        "common",
        "error",
        "institution",
        "programme",
        "application",
        "review",
        "award",
        "watch",
        "access",
        "document",
        "schedule",
        "report",
        "webhook",
    ]
    .map(|f| PathBuf::from(format!("proto/gba/grants/v1/{f}.proto")));

    tonic_prost_build::configure()
        // Document content passes through without a copy.
        .bytes(".gba.grants.v1.UploadDocumentRequest.chunk")
        .bytes(".gba.grants.v1.DownloadDocumentResponse.chunk")
        .file_descriptor_set_path(out.join("gba_grants_descriptor.bin"))
        .compile_protos(&files, &[PathBuf::from("proto"), include])?;
    println!("cargo:rerun-if-changed=proto");
    git_commit();
    Ok(())
}

/// The commit built, for the `gba_grants_build_info` metric: taken from
/// `GBA_GRANTS_GIT_COMMIT` when set (image builds without `.git`), else
/// from git, else "unknown".
fn git_commit() {
    println!("cargo:rerun-if-env-changed=GBA_GRANTS_GIT_COMMIT");
    let commit = env::var("GBA_GRANTS_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            let head = std::fs::read_to_string(".git/HEAD").ok()?;
            println!("cargo:rerun-if-changed=.git/HEAD");
            if let Some(reference) = head.trim().strip_prefix("ref: ") {
                let path = format!(".git/{reference}");
                if std::path::Path::new(&path).exists() {
                    println!("cargo:rerun-if-changed={path}");
                }
            }
            let out = std::process::Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        });
    println!(
        "cargo:rustc-env=GBA_GRANTS_GIT_COMMIT={}",
        commit.unwrap_or_else(|| "unknown".to_owned())
    );
}
