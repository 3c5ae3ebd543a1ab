//! Generated code of the backorder suite's gRPC contract, one module per
//! versioned protobuf package, the encoded descriptor set that server
//! reflection serves, and a table tying every request type to its RPC
//! ([`Rpc`], [`Idempotent`]) so callers name calls by type, not by path.

#![allow(
    missing_docs,
    clippy::large_enum_variant,
    clippy::doc_lazy_continuation
)]

use std::fmt;
use std::str::FromStr;

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

/// `backorder.outbox.v1`: every service's parked-message administration.
pub mod outbox {
    pub mod v1 {
        tonic::include_proto!("backorder.outbox.v1");
    }
}

/// The four services of the suite, as callers and destinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// Stock, reservations and the waiting queue.
    Inventory,
    /// Orders, lines, shipments.
    Order,
    /// Suppliers and purchase orders.
    Procurement,
    /// Customers and their notices.
    Notification,
}

impl Peer {
    /// Every peer, in a fixed order.
    pub const ALL: [Peer; 4] = [
        Peer::Inventory,
        Peer::Order,
        Peer::Procurement,
        Peer::Notification,
    ];

    /// The short name used in configuration, metrics and the outbox table.
    pub const fn name(self) -> &'static str {
        match self {
            Peer::Inventory => "inventory",
            Peer::Order => "order",
            Peer::Procurement => "procurement",
            Peer::Notification => "notification",
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A peer name that is not one of the four services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPeer(pub String);

impl fmt::Display for UnknownPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown service {:?}: expected inventory, order, procurement or notification",
            self.0
        )
    }
}

impl std::error::Error for UnknownPeer {}

impl FromStr for Peer {
    type Err = UnknownPeer;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Peer::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownPeer(s.to_owned()))
    }
}

/// A request message and the unary RPC it belongs to.
pub trait Rpc: prost::Message + Default + Clone + Send + Sync + 'static {
    /// The RPC's response message.
    type Response: prost::Message + Default + Send + Sync + 'static;
    /// Full gRPC path, e.g. `/backorder.order.v1.OrderService/PlaceOrder`.
    const PATH: &'static str;
    /// The method's name, e.g. `PlaceOrder`.
    const NAME: &'static str;
    /// The service that serves it (`None` for services every peer serves,
    /// such as outbox administration).
    const SERVICE: Option<Peer>;

    /// The request's `request_id` if it has one (a mutating call).
    fn idempotency_key(&self) -> Option<&str> {
        None
    }
}

/// A request that carries a `request_id`: safe to retry, and deliverable
/// through an outbox (whose message id becomes the `request_id`).
pub trait Idempotent: Rpc {
    /// The caller's idempotency key.
    fn request_id(&self) -> &str;
    /// Replaces the idempotency key.
    fn set_request_id(&mut self, id: String);
}

include!(concat!(env!("OUT_DIR"), "/rpc_table.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_types_know_their_rpc() {
        assert_eq!(
            <order::v1::MarkLineAllocatedRequest as Rpc>::PATH,
            "/backorder.order.v1.OrderService/MarkLineAllocated"
        );
        assert_eq!(
            <procurement::v1::AddDemandRequest as Rpc>::SERVICE,
            Some(Peer::Procurement)
        );
        let mut request = inventory::v1::IssueStockRequest::default();
        request.set_request_id("r-1".into());
        assert_eq!(request.request_id(), "r-1");
    }

    #[test]
    fn peers_parse_from_their_names_only() {
        for peer in Peer::ALL {
            assert_eq!(peer.name().parse::<Peer>(), Ok(peer));
        }
        assert!("billing".parse::<Peer>().is_err());
    }
}
