//! Generated code of the backorder suite's gRPC contract, one module per
//! versioned protobuf package, plus the encoded descriptor set that server
//! reflection serves.

#![allow(
    missing_docs,
    clippy::large_enum_variant,
    clippy::doc_lazy_continuation
)]

/// Encoded `FileDescriptorSet` of every package (with its imports).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/backorder_descriptor.bin"));

/// `backorder.inventory.v1`.
pub mod inventory {
    pub mod v1 {
        tonic::include_proto!("backorder.inventory.v1");
    }
}

/// `backorder.order.v1`.
pub mod order {
    pub mod v1 {
        tonic::include_proto!("backorder.order.v1");
    }
}

/// `backorder.procurement.v1`.
pub mod procurement {
    pub mod v1 {
        tonic::include_proto!("backorder.procurement.v1");
    }
}

/// `backorder.notification.v1`.
pub mod notification {
    pub mod v1 {
        tonic::include_proto!("backorder.notification.v1");
    }
}
