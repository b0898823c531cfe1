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
    ]
    .map(|f| PathBuf::from(format!("proto/gba/grants/v1/{f}.proto")));

    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("gba_grants_descriptor.bin"))
        .compile_protos(&files, &[PathBuf::from("proto"), include])?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
