//! The generated gRPC contract (`gba.grants.v1`), built from `proto/` into
//! `OUT_DIR` by build.rs.

#![allow(clippy::all, missing_docs)]

pub mod v1 {
    tonic::include_proto!("gba.grants.v1");
}

/// Encoded descriptors of every gba.grants.v1 file, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("gba_grants_descriptor");
