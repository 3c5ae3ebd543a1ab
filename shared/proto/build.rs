//! Compiles the suite's protobuf packages with a pure-Rust compiler, so a
//! fresh machine needs no system `protoc`, and writes the table that ties
//! every request type to its RPC: its method path, its service and whether
//! it carries a `request_id`. Services then name messages by type, never by
//! a path string.

use std::fmt::Write as _;
use std::path::PathBuf;

use prost::Message;

const PROTO_FILES: &[&str] = &[
    "backorder/inventory/v1/inventory.proto",
    "backorder/order/v1/order.proto",
    "backorder/procurement/v1/procurement.proto",
    "backorder/notification/v1/notification.proto",
    "backorder/outbox/v1/outbox.proto",
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
    std::fs::write(out_dir.join("rpc_table.rs"), rpc_table(&descriptors)?)?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}

/// `impl Rpc` (and `impl Idempotent` where the request has `request_id`) for
/// every request type of the suite's services.
fn rpc_table(
    descriptors: &prost_types::FileDescriptorSet,
) -> Result<String, Box<dyn std::error::Error>> {
    let mut out = String::new();
    for file in &descriptors.file {
        let package = file.package();
        let Some(module) = rust_module(package) else {
            continue;
        };
        for service in &file.service {
            let owner = match package.split('.').nth(1) {
                Some("inventory") => "Some(crate::Peer::Inventory)",
                Some("order") => "Some(crate::Peer::Order)",
                Some("procurement") => "Some(crate::Peer::Procurement)",
                Some("notification") => "Some(crate::Peer::Notification)",
                _ => "None",
            };
            for method in &service.method {
                let input = method.input_type().trim_start_matches('.');
                let output = method.output_type().trim_start_matches('.');
                let (Some(input_name), Some(output_name)) = (
                    input.strip_prefix(&format!("{package}.")),
                    output.strip_prefix(&format!("{package}.")),
                ) else {
                    return Err(format!(
                        "{}: request and response must be in package {package}",
                        method.name()
                    )
                    .into());
                };
                let message = file
                    .message_type
                    .iter()
                    .find(|m| m.name() == input_name)
                    .ok_or_else(|| format!("{input} not found"))?;
                let idempotent = message.field.iter().any(|f| f.name() == "request_id");
                let key = if idempotent {
                    "\n    fn idempotency_key(&self) -> Option<&str> { Some(&self.request_id) }"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "impl crate::Rpc for {module}::{input_name} {{\n    \
                     type Response = {module}::{output_name};\n    \
                     const PATH: &'static str = \"/{package}.{service}/{method}\";\n    \
                     const NAME: &'static str = \"{method}\";\n    \
                     const SERVICE: Option<crate::Peer> = {owner};{key}\n}}",
                    service = service.name(),
                    method = method.name(),
                )?;
                if idempotent {
                    writeln!(
                        out,
                        "impl crate::Idempotent for {module}::{input_name} {{\n    \
                         fn request_id(&self) -> &str {{ &self.request_id }}\n    \
                         fn set_request_id(&mut self, id: String) {{ self.request_id = id; }}\n}}"
                    )?;
                }
            }
        }
    }
    Ok(out)
}

/// `backorder.order.v1` -> `crate::order::v1`.
fn rust_module(package: &str) -> Option<String> {
    let rest = package.strip_prefix("backorder.")?;
    Some(format!("crate::{}", rest.replace('.', "::")))
}
