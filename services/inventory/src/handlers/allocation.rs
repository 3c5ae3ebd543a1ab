//! Free stock to waiting lines: shared by receipts, adjustments and
//! cancellations, always under the SKU's stock lock.

use std::collections::HashMap;

use backorder_platform::ServiceResult;
use backorder_platform::telemetry::{continue_stored_trace, traceparent_of};
use backorder_platform::unit_of_work::Work;
use backorder_platform::warehouse::WarehouseCode;
use backorder_proto::order::v1::MarkLineAllocatedRequest;
use backorder_proto::procurement::v1::ReleaseDemandRequest;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use uuid::Uuid;

use crate::domain::{Allocation, Grant, Reservation, SkuStock, Waiting};
use crate::store::queries::{self, Movement};
use crate::store::stock_movement::MovementKind;
use crate::wording;

/// Waiting lines read per round while allocating.
const QUEUE_CHUNK: u64 = 100;

/// Gives free stock of `sku` in `warehouse` to its waiting lines in queue
/// order (the queue is the SKU's, whatever warehouse a line was first
/// reserved in) and tells the order service about every line it gave stock
/// to. Each filled line
/// gets a short span in its sale's trace, linked to the current (receipt)
/// span, which in turn links to every sale it served.
pub(super) async fn allocate_waiting(
    work: &Work,
    sku: &str,
    stock: &mut SkuStock,
    warehouse: &WarehouseCode,
    reference: &str,
) -> ServiceResult<Vec<Allocation>> {
    let mut allocations = Vec::new();
    let mut shelf = stock.at(warehouse);
    let batch_span = tracing::Span::current();
    // Every round reads the head of the queue afresh: lines filled in the
    // round before have left it, and a line filled only in part means the
    // stock ran out. So no cursor is needed, and each round is an index
    // range read of the `reservation_waiting_queue` index.
    while shelf.available() > 0 {
        let queue = queries::waiting_queue(work.db(), sku, None, QUEUE_CHUNK).await?;
        if queue.is_empty() {
            break;
        }
        let waiting: Vec<Waiting> = queue
            .iter()
            .map(|line| Waiting {
                id: line.id,
                waiting: line.waiting,
            })
            .collect();
        let grants = shelf
            .allocate(&waiting)
            .map_err(|limit| wording::quantity_limit(sku, limit))?;
        let filled_every_line = grants.len() == queue.len() && grants.iter().all(|g| g.complete);
        let by_id: HashMap<Uuid, &Reservation> = queue.iter().map(|line| (line.id, line)).collect();
        let parts: Vec<(Uuid, i64)> = grants.iter().map(|g| (g.id, g.quantity)).collect();
        queries::add_to_parts(work.db(), warehouse, &parts).await?;
        for grant in grants {
            let Some(line) = by_id.get(&grant.id).copied() else {
                continue;
            };
            let line_span = tracing::info_span!(
                "inventory.allocate_line",
                otel.name = "allocate stock to backordered line",
                order.id = %line.order_id,
                order.line_id = %line.line_id,
                sku = %line.sku,
                quantity = grant.quantity,
                complete = grant.complete,
            );
            continue_stored_trace(&line_span, line.trace_context.as_deref(), &batch_span);
            let trace = traceparent_of(&line_span.context());
            fill_line(work, line, &grant, warehouse, reference, trace)
                .instrument(line_span)
                .await?;
            allocations.push(Allocation {
                order_id: line.order_id,
                line_id: line.line_id,
                quantity: grant.quantity,
                line_complete: grant.complete,
                warehouse: warehouse.clone(),
            });
        }
        // Reading again only helps when this round emptied a full chunk.
        if (queue.len() as u64) < QUEUE_CHUNK || !filled_every_line {
            break;
        }
    }
    stock.put(warehouse, shelf);
    Ok(allocations)
}

/// Writes one grant: the line, the ledger, the order's news and, when the
/// line is complete, its demand's closing, in its sale's trace.
async fn fill_line(
    work: &Work,
    line: &Reservation,
    grant: &Grant,
    warehouse: &WarehouseCode,
    reference: &str,
    trace: Option<String>,
) -> ServiceResult<()> {
    let filled = line
        .granted(grant.quantity)
        .map_err(|limit| wording::quantity_limit(&line.sku, limit))?;
    queries::update_reservation(work.db(), line, &filled).await?;
    queries::record_movement(
        work.db(),
        Movement {
            sku: &line.sku,
            warehouse,
            kind: MovementKind::Allocate,
            on_hand_delta: 0,
            reserved_delta: grant.quantity,
            reference: &line.order_id.to_string(),
            reason: reference,
        },
    )
    .await?;
    // The order hears of every allocation: part of a line may ship ahead
    // of the rest.
    work.send_in_trace(
        MarkLineAllocatedRequest {
            order_id: line.order_id.to_string(),
            line_id: line.line_id.to_string(),
            allocated_quantity: grant.quantity,
            waiting_quantity: filled.waiting,
            warehouse: warehouse.to_string(),
            ..Default::default()
        },
        trace.clone(),
    )
    .await?;
    if grant.complete {
        // The shortage is gone, whatever filled it (a receipt, a count
        // correction, stock another line gave back): its demand closes, so
        // a draft purchase order never buys units nobody waits for.
        work.send_in_trace(
            ReleaseDemandRequest {
                demand_id: line.id.to_string(),
                ..Default::default()
            },
            trace,
        )
        .await?;
    }
    Ok(())
}
