//! The RPCs, one file per family. Each handler reads like a recipe: parse
//! the request into a command, run one unit of work, convert the answer.
//! Steps shared by several families live in [`drafts`] (opening and
//! locking drafts), [`sourcing`] (consolidation, moving demand) and
//! [`release`].

mod demand;
mod drafts;
mod drop_ship;
mod purchase_orders;
mod receipts;
mod release;
mod sourcing;
mod spans;
mod supplier_items;
mod suppliers;

use backorder_platform::ServiceError;
use backorder_platform::service::ServiceContext;
use uuid::Uuid;

use crate::domain::PoRefusal;

/// The procurement gRPC service.
#[derive(Clone)]
pub struct ProcurementApi {
    context: ServiceContext,
}

impl ProcurementApi {
    /// Serves from the service's context (database and outbox).
    pub fn new(context: ServiceContext) -> Self {
        Self { context }
    }
}

/// A purchase order that does not exist.
fn purchase_order_not_found(id: Uuid) -> ServiceError {
    ServiceError::not_found("purchase order", id.to_string())
}

/// A rule's refusal, as the caller sees it.
fn refused(refusal: PoRefusal) -> ServiceError {
    ServiceError::precondition(refusal.reason(), refusal.describe())
}

/// A row that changed between two steps holding the locks that should have
/// kept it still: retrying is safe, as nothing of the unit is kept.
fn concurrent_update(what: impl Into<String>) -> ServiceError {
    ServiceError::Aborted {
        reason: "CONCURRENT_UPDATE",
        message: what.into(),
    }
}
