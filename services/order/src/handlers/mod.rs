//! The RPCs, one file per family. Each handler reads like a recipe: parse
//! the request into a command (`crate::convert`), run one unit of work
//! (the platform's `execute`, which owns the transaction, the request-id
//! claim, the stored answer and the outbox), convert the answer. The rules
//! live in `crate::domain`, the SQL in `crate::store`.

mod bundling;
mod cancellation;
mod changes;
mod delays;
mod drop_ship;
mod line_news;
mod orders;
mod payments;
mod placement;
mod settings;
mod shipping;
mod stats;
mod timeline;

use std::time::Duration;

use backorder_platform::service::ServiceContext;
use backorder_platform::telemetry::continue_stored_trace;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::convert::{self, views};
use crate::domain::notices::Notice;
use crate::domain::{Line, LineEvent, Move, Order};
use crate::peers::Peers;
use crate::store::queries;

pub use settings::FulfilmentSettings;

/// The order gRPC service.
#[derive(Clone)]
pub struct OrderApi {
    context: ServiceContext,
    peers: Peers,
    first_sweep_after: Duration,
    fulfilment: FulfilmentSettings,
}

impl OrderApi {
    /// Serves from the context's database, calling peers through clients
    /// built here once. A new pending order is left to the sweeper once
    /// `first_sweep_after` has passed without an answer from inventory.
    /// Orders placed without a ship policy get `fulfilment`'s default.
    pub fn new(
        context: ServiceContext,
        first_sweep_after: Duration,
        fulfilment: FulfilmentSettings,
    ) -> ServiceResult<Self> {
        Ok(Self {
            peers: Peers::new(&context)?,
            context,
            first_sweep_after,
            fulfilment,
        })
    }

    /// The service's context (database, units of work, workers).
    pub fn context(&self) -> &ServiceContext {
        &self.context
    }
}

/// An order and its lines, locked for the rest of the unit when `lock`.
async fn load_order<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    lock: bool,
) -> ServiceResult<(Order, Vec<Line>)> {
    let order = if lock {
        queries::lock_order(conn, order_id).await?
    } else {
        queries::find_order(conn, order_id).await?
    }
    .ok_or_else(|| ServiceError::not_found("order", order_id.to_string()))?;
    let lines = queries::lines_of(conn, order_id).await?;
    Ok((order, lines))
}

/// The order as answered, with its shipments and its lines' delay offers.
async fn view<C: ConnectionTrait>(
    conn: &C,
    order: &Order,
    lines: &[Line],
) -> ServiceResult<pb::Order> {
    let shipments = queries::shipments_of_orders(conn, &[order.id]).await?;
    let offers = queries::offers_of_orders(conn, &[order.id]).await?;
    let mut shown = views::order_to_proto(order, lines, &shipments);
    convert::delays::attach_offers(&mut shown, lines, &offers);
    Ok(shown)
}

/// The index of line `line_id` among `lines`.
fn line_index(lines: &[Line], line_id: Uuid) -> ServiceResult<usize> {
    lines
        .iter()
        .position(|l| l.id == line_id)
        .ok_or_else(|| ServiceError::not_found("order line", line_id.to_string()))
}

/// Applies `event` to a line: `Ok(true)` when it moved, `Ok(false)` when
/// the event is stale and ignored, an error when the move is not allowed.
fn move_line(line: &mut Line, event: LineEvent) -> ServiceResult<bool> {
    let from = line.status;
    match line.take(event) {
        Move::To(_) => Ok(true),
        Move::Ignore => Ok(false),
        Move::NotYet => Err(ServiceError::precondition(
            "LINE_NOT_READY_FOR_EVENT",
            format!(
                "line {} is {}; it cannot take {event:?} yet",
                line.id,
                from.name()
            ),
        )),
        Move::Illegal => Err(ServiceError::precondition(
            "ILLEGAL_LINE_TRANSITION",
            format!(
                "line {} is {}; it cannot take {event:?}",
                line.id,
                from.name()
            ),
        )),
    }
}

/// Re-derives the order's status from its lines and stores it, with the
/// time of the change, which the answer then shows as stored (a repeat
/// answered from the stored rows must read the same).
async fn save_status(work: &Work, order: &mut Order, lines: &[Line]) -> ServiceResult<()> {
    let status = order.refresh_status(lines);
    order.updated_at = now_ms();
    queries::set_order_status(work.db(), order.id, status, order.updated_at).await
}

/// Tells the order's customer `notice`, once the unit commits.
async fn notify(work: &Work, order: &Order, notice: Notice) -> ServiceResult<()> {
    work.send(views::notify_request(order, notice)).await
}

/// A span in the sale's trace for work started in another trace (shipping,
/// delivery, cancellation, a resumed placement), linked both ways.
fn span_in_sale_trace(name: &'static str, order: &Order) -> tracing::Span {
    let span = tracing::info_span!("order.lifecycle", otel.name = name, order.id = %order.id);
    continue_stored_trace(
        &span,
        order.trace_context.as_deref(),
        &tracing::Span::current(),
    );
    span
}
