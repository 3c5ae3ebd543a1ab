//! Compiles the suite's protobuf packages with a pure-Rust compiler, so a
//! fresh machine needs no system `protoc`.

use std::path::PathBuf;

use prost::Message;

const PROTO_FILES: &[&str] = &[
    "backorder/inventory/v1/inventory.proto",
    "backorder/order/v1/order.proto",
    "backorder/procurement/v1/procurement.proto",
    "backorder/notification/v1/notification.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let descriptors = protox::compile(PROTO_FILES, [&proto_root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("backorder_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
