//! Calls by path with message bytes, for tests that speak to every RPC
//! alike (who may call it, what malformed input does) with nothing but
//! the descriptors of the contract.

use backorder_platform::outbox::RawCodec;
use prost::Message;
use prost_types::{FileDescriptorSet, MethodDescriptorProto};
use tonic::transport::Channel;
use tonic::{Request, Status};

/// Calls the unary RPC at `path` with `request`'s bytes.
pub async fn call(
    channel: Channel,
    path: &str,
    request: Request<Vec<u8>>,
) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("not ready: {e}")))?;
    let path = path
        .parse()
        .map_err(|_| Status::internal(format!("bad path {path}")))?;
    grpc.unary(request, path, RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

/// One RPC of the contract.
#[derive(Debug, Clone)]
pub struct Method {
    /// `backorder.order.v1`.
    pub package: String,
    /// `/backorder.order.v1.OrderService/PlaceOrder`.
    pub path: String,
    /// `.backorder.order.v1.PlaceOrderRequest`.
    pub input: String,
    /// The number of the request's `request_id` field: a mutating RPC.
    pub request_id_field: Option<i32>,
}

impl Method {
    /// The service that serves it (`order`), or `None` for outbox
    /// administration, which every service serves.
    pub fn service(&self) -> Option<&str> {
        match self.package.split('.').nth(1) {
            Some("outbox") | None => None,
            Some(service) => Some(service),
        }
    }

    /// A request holding only `request_id` (when the RPC has one).
    pub fn request_with_id(&self, request_id: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        if let Some(field) = self.request_id_field {
            prost::encoding::string::encode(
                u32::try_from(field).unwrap_or(1),
                &request_id.to_owned(),
                &mut bytes,
            );
        }
        bytes
    }
}

/// The suite's descriptors.
pub fn descriptors() -> FileDescriptorSet {
    FileDescriptorSet::decode(backorder_proto::FILE_DESCRIPTOR_SET).expect("descriptor set")
}

/// Every RPC of the suite's own packages.
pub fn methods() -> Vec<Method> {
    let set = descriptors();
    let mut methods = Vec::new();
    for file in &set.file {
        let package = file.package().to_owned();
        if !package.starts_with("backorder.") {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                methods.push(describe(&set, &package, service.name(), method));
            }
        }
    }
    methods
}

fn describe(
    set: &FileDescriptorSet,
    package: &str,
    service: &str,
    method: &MethodDescriptorProto,
) -> Method {
    let input = method.input_type().to_owned();
    let request_id_field = message(set, &input)
        .and_then(|m| m.field.iter().find(|f| f.name() == "request_id"))
        .map(|f| f.number());
    Method {
        package: package.to_owned(),
        path: format!("/{package}.{service}/{}", method.name()),
        input,
        request_id_field,
    }
}

/// The message type named `.package.Name` (nested types as `.package.Outer.Inner`).
pub fn message<'a>(
    set: &'a FileDescriptorSet,
    full_name: &str,
) -> Option<&'a prost_types::DescriptorProto> {
    let name = full_name.trim_start_matches('.');
    for file in &set.file {
        let Some(rest) = name.strip_prefix(&format!("{}.", file.package())) else {
            continue;
        };
        let mut parts = rest.split('.');
        let first = parts.next()?;
        let mut current = file.message_type.iter().find(|m| m.name() == first);
        for part in parts {
            current = current.and_then(|m| m.nested_type.iter().find(|n| n.name() == part));
        }
        if current.is_some() {
            return current;
        }
    }
    None
}
