//! The unit of work: one call per mutating RPC that owns the transaction,
//! the claim on the request id, the stored answer and every outbox message
//! written inside it. Handlers write only the change itself:
//!
//! ```ignore
//! self.context.execute(&request, move |work| Box::pin(async move {
//!     let stock = queries::lock_stock(work.db(), &sku).await?;
//!     work.send(MarkLineAllocatedRequest { order_id, line_id, ..Default::default() }).await?;
//!     Ok(response)
//! })).await
//! ```
//!
//! The request id is claimed first, so a twin call waits for the first and
//! then answers with its stored result instead of doing the work again. A
//! handler's error rolls everything back, the claim included: a refused
//! request leaves nothing behind and may be retried with the same id.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use backorder_proto::{Idempotent, Peer};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::error::{ServiceError, ServiceResult};
use crate::idempotency::{Claim, IdempotencyKey};
use crate::ids::new_id_string;
use crate::outbox::{Envelope, OutboxSignal, enqueue};

/// What a unit of work's closure returns.
pub type WorkFuture<'w, T> = Pin<Box<dyn Future<Output = ServiceResult<T>> + Send + 'w>>;

/// The inside of one unit of work: its transaction and its outbox.
pub struct Work {
    txn: DatabaseTransaction,
    request_id: String,
    destinations: Mutex<BTreeSet<Peer>>,
    resource: Mutex<String>,
}

impl Work {
    /// The transaction every read and write of the unit goes through.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// The caller's request id (empty for internal work), for references
    /// such as a ledger entry.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Names the resource the request created or changed (kept with the
    /// stored answer, for operators).
    pub fn set_resource(&self, id: impl Into<String>) {
        if let Ok(mut resource) = self.resource.lock() {
            *resource = id.into();
        }
    }

    /// Sends `message` to the service that serves it, once this unit
    /// commits; it continues the current span's trace. Its `request_id` is
    /// set to the new message id.
    pub async fn send<M: Idempotent>(&self, message: M) -> ServiceResult<()> {
        self.send_in_trace(message, None).await
    }

    /// Like [`Work::send`], continuing the trace of `traceparent` (a stored
    /// sale context) when given.
    pub async fn send_in_trace<M: Idempotent>(
        &self,
        mut message: M,
        traceparent: Option<String>,
    ) -> ServiceResult<()> {
        let destination = M::SERVICE.ok_or_else(|| {
            ServiceError::Internal(format!("{} has no single destination", M::NAME))
        })?;
        let id = new_id_string();
        message.set_request_id(id.clone());
        enqueue(
            &self.txn,
            Envelope {
                id,
                destination,
                method: M::PATH,
                payload: message.encode_to_vec(),
                trace_context: traceparent,
            },
        )
        .await?;
        if let Ok(mut destinations) = self.destinations.lock() {
            destinations.insert(destination);
        }
        Ok(())
    }

    async fn commit(self, outbox: &OutboxSignal) -> ServiceResult<()> {
        let destinations = self
            .destinations
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.txn.commit().await?;
        for destination in destinations {
            outbox.wake(destination);
        }
        Ok(())
    }
}

/// Runs units of work against one service's database.
#[derive(Clone)]
pub struct UnitOfWork {
    db: DatabaseConnection,
    outbox: OutboxSignal,
}

impl UnitOfWork {
    /// Units of work on `db` whose messages wake `outbox`.
    pub fn new(db: DatabaseConnection, outbox: OutboxSignal) -> Self {
        Self { db, outbox }
    }

    /// Runs the mutating RPC `request` once: claims its request id, runs
    /// `work` in one transaction, stores the answer and commits with every
    /// message `work` sent. A repeat of an answered request gets the stored
    /// answer without running `work`; the same id with another body gets
    /// `ALREADY_EXISTS`.
    pub async fn execute<R, F>(&self, request: &R, work: F) -> ServiceResult<R::Response>
    where
        R: Idempotent,
        F: for<'w> FnOnce(&'w Work) -> WorkFuture<'w, R::Response>,
    {
        let key = IdempotencyKey::new(R::NAME, request.request_id(), request)?;
        let unit = self.begin(key.request_id()).await?;
        if let Claim::Answered(answer) = key.claim::<R::Response, _>(unit.db()).await? {
            return Ok(answer);
        }
        let response = work(&unit).await?;
        let resource = unit.resource.lock().map(|r| r.clone()).unwrap_or_default();
        key.store(unit.db(), &resource, &response).await?;
        unit.commit(&self.outbox).await?;
        Ok(response)
    }

    /// Runs internal work (a worker's step, not a caller's request) in one
    /// transaction with its outbox messages; no request id is involved.
    pub async fn internal<T, F>(&self, work: F) -> ServiceResult<T>
    where
        F: for<'w> FnOnce(&'w Work) -> WorkFuture<'w, T>,
    {
        let unit = self.begin("").await?;
        let result = work(&unit).await?;
        unit.commit(&self.outbox).await?;
        Ok(result)
    }

    async fn begin(&self, request_id: &str) -> ServiceResult<Work> {
        Ok(Work {
            txn: self.db.begin().await?,
            request_id: request_id.to_owned(),
            destinations: Mutex::new(BTreeSet::new()),
            resource: Mutex::new(String::new()),
        })
    }
}
