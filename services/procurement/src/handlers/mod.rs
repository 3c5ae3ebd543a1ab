//! The RPCs, one file per family. Each handler reads like a recipe: parse
//! the request into a command, run one unit of work, convert the answer.
//! Steps shared by several families live in [`drafts`] (opening and
//! locking drafts), [`sourcing`] (consolidation, moving demand) and
//! [`release`]. The steps the replenishment worker runs are here too
//! ([`replenishment`], [`schedule`], [`delays`]), so it does what the RPCs
//! do.

pub mod delays;
mod demand;
mod drafts;
mod drop_ship;
mod inbound;
mod purchase_orders;
mod receipts;
mod reduction;
mod release;
pub mod replenishment;
pub mod schedule;
mod sourcing;
mod spans;
mod supplier_items;
mod suppliers;

use backorder_platform::ServiceError;
use backorder_platform::service::ServiceContext;
use uuid::Uuid;

use crate::domain::PoRefusal;
use crate::peers::Inventory;

/// The procurement gRPC service.
#[derive(Clone)]
pub struct ProcurementApi {
    context: ServiceContext,
    inventory: Inventory,
}

impl ProcurementApi {
    /// Serves from the service's context (database, outbox, and the channel
    /// to inventory that replenishment plans ask).
    pub fn new(context: ServiceContext) -> Self {
        Self {
            inventory: Inventory::new(&context),
            context,
        }
    }

    /// The service's context (database, units of work, workers).
    pub fn context(&self) -> &ServiceContext {
        &self.context
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
