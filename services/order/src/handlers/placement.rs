//! PlaceOrder, and resuming a pending order (the sweeper's work).
//!
//! A placement cannot be one unit of work: the pending order must be
//! committed before inventory is asked, so that a crash or an unreachable
//! inventory leaves something a retry or the sweeper can resume. So:
//! 1. the order is recorded as PENDING with the request's fingerprint (a
//!    retry with the same `request_id` must carry an identical request);
//! 2. inventory reserves it, idempotently by order id, so every attempt —
//!    the caller's, a twin's, the sweeper's — gets the same reservation
//!    (it also decides which lines the supplier drop-ships to the order's
//!    address, and raises their demand with procurement itself);
//! 3. the answer is recorded by one unit of work. For the caller that is
//!    the platform's `execute`: it claims the `request_id`, so a twin waits
//!    and then gets the stored answer.
//!
//! A refusal deletes the order, but only while it is still PENDING: a twin
//! may have completed it meanwhile, and then its answer stands.

use std::collections::BTreeMap;

use backorder_platform::ids::new_id;
use backorder_platform::telemetry::current_traceparent;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1::ReserveOrderRequest;
use backorder_proto::order::v1 as pb;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use tracing::Instrument;
use uuid::Uuid;

use super::{OrderApi, move_line, notify, payments, save_status, span_in_sale_trace, view};
use crate::convert::views;
use crate::domain::charging::ChargeAt;
use crate::domain::lost_sales::{self, LostLine};
use crate::domain::notices::Notice;
use crate::domain::placement::{LineOutcome, NewOrder, check_outcome};
use crate::domain::timeline::Recorded;
use crate::domain::{Line, LineStatus, Order, OrderStatus, UnitsByWarehouse};
use crate::store::queries::{self, Deletion, PendingOrder};

/// Reason of the refusal an attempt gets when a concurrent attempt was
/// refused by inventory and removed the order while this one was reserving.
const ORDER_REFUSED: &str = "ORDER_REFUSED";

type Outcomes = BTreeMap<Uuid, LineOutcome>;

/// Inventory's answer for a pending order, with the order's lines as they
/// were recorded (a pending order's lines change only when it leaves
/// PENDING, so they need no second read).
struct Reserved {
    outcomes: Outcomes,
    lines: Vec<Line>,
    /// Unit price per line, from inventory.
    prices: BTreeMap<Uuid, i64>,
    /// When the merchant charges the lines.
    charge_at: ChargeAt,
}

impl OrderApi {
    /// The `PlaceOrder` RPC.
    pub async fn place_order(
        &self,
        req: pb::PlaceOrderRequest,
    ) -> ServiceResult<pb::PlaceOrderResponse> {
        let new_order = NewOrder::parse(&req, self.fulfilment.default_ship_policy)?;
        // A retry finds its order when recording it conflicts on the
        // request id, so a first call pays no read beforehand.
        let (order, lines) = self.record_pending(&new_order).await?;
        if order.status != OrderStatus::Pending {
            return self.record_outcome(order.id, None, Some(&req)).await;
        }
        self.reserve(order, lines, Some(&req)).await
    }

    /// Tries a pending order again (the sweeper), in the sale's trace.
    pub(crate) async fn resume_pending(&self, pending: PendingOrder) -> ServiceResult<()> {
        let order = pending.order;
        let span = span_in_sale_trace("resume pending order", &order);
        async {
            let lines = queries::lines_of(&self.context.db, order.id).await?;
            self.reserve(order, lines, None).await.map(|_| ())
        }
        .instrument(span)
        .await
    }

    /// The order an earlier request with this `request_id` created, if its
    /// request was identical; the same id with another body is refused.
    async fn existing_placement(
        &self,
        new_order: &NewOrder,
    ) -> ServiceResult<Option<(Order, Vec<Line>)>> {
        let db = &self.context.db;
        let Some(placed) = queries::find_order_by_request(db, new_order.request_id).await? else {
            return Ok(None);
        };
        // Orders stored before fingerprints were kept have none: they
        // resume as they always did.
        if placed
            .request_hash
            .as_ref()
            .is_some_and(|hash| *hash != new_order.request_hash)
        {
            return Err(ServiceError::AlreadyExists {
                reason: "REQUEST_ID_REUSED",
                message: format!(
                    "request_id {} already placed a different order; use a new request_id",
                    new_order.request_id
                ),
            });
        }
        let lines = queries::lines_of(db, placed.order.id).await?;
        Ok(Some((placed.order, lines)))
    }

    /// Records the order as PENDING; a twin that recorded it first wins,
    /// and its order is the one resumed.
    async fn record_pending(&self, new_order: &NewOrder) -> ServiceResult<(Order, Vec<Line>)> {
        let now = now_ms();
        let order = Order {
            id: new_id(),
            request_id: new_order.request_id,
            customer_id: new_order.customer_id,
            status: OrderStatus::Pending,
            accept_backorders: new_order.accept_backorders,
            ship_policy: new_order.ship_policy,
            ship_to_address: new_order.ship_to_address.clone(),
            trace_context: current_traceparent(),
            created_at: now,
            updated_at: now,
        };
        let lines: Vec<Line> = new_order
            .lines
            .iter()
            .zip(0..)
            .map(|(line, line_no)| Line {
                id: new_id(),
                order_id: order.id,
                line_no,
                sku: line.sku.clone(),
                quantity: line.quantity,
                reserved_quantity: 0,
                backordered_quantity: 0,
                status: LineStatus::Pending,
                eta: None,
                eta_latest: None,
                purchase_order_id: None,
                shipment_id: None,
                shipped_quantity: 0,
                ready_quantity: 0,
                ready_in: UnitsByWarehouse::new(),
                // Inventory decides, when it reserves the order.
                drop_ship: false,
                unit_price_minor: 0,
                payment: None,
            })
            .collect();
        let grace = i64::try_from(self.first_sweep_after.as_millis()).unwrap_or(i64::MAX);
        let first_sweep_at = now.saturating_add(grace);
        let hash = new_order.request_hash.clone();
        let recorded = self
            .context
            .internal(move |work| {
                Box::pin(async move {
                    let inserted = queries::insert_pending_order(
                        work.db(),
                        &order,
                        &lines,
                        &hash,
                        first_sweep_at,
                    )
                    .await?;
                    Ok(inserted.then_some((order, lines)))
                })
            })
            .await?;
        match recorded {
            Some(recorded) => Ok(recorded),
            None => {
                self.existing_placement(new_order)
                    .await?
                    .ok_or_else(|| ServiceError::Aborted {
                        reason: "CONCURRENT_UPDATE",
                        message: "a concurrent request with this request_id was refused; retry"
                            .to_owned(),
                    })
            }
        }
    }

    /// Asks inventory to reserve a pending order and records the answer.
    async fn reserve(
        &self,
        order: Order,
        lines: Vec<Line>,
        request: Option<&pb::PlaceOrderRequest>,
    ) -> ServiceResult<pb::PlaceOrderResponse> {
        let asked = views::reserve_request(&order, &lines);
        // Inventory names short lines by their place in this request.
        let asked_lines: Vec<(String, i64)> = asked
            .lines
            .iter()
            .map(|l| (l.sku.clone(), l.quantity))
            .collect();
        let mut reply = self.peers.reserve_order(asked.clone()).await;
        // Inventory fingerprints a request by its bytes. An order it
        // reserved before the address went with the request (its answer
        // never recorded here) is found again only by asking as it was
        // asked then: the request id is the order id, so nothing else can
        // differ.
        if matches!(&reply, Err(status) if status.code() == Code::AlreadyExists)
            && !asked.ship_to_address.is_empty()
        {
            let as_before = ReserveOrderRequest {
                ship_to_address: String::new(),
                ..asked
            };
            reply = self.peers.reserve_order(as_before).await;
        }
        match reply {
            Ok(reservation) => {
                let outcomes = views::reservation_outcomes(&reservation)?;
                let line_ids: Vec<Uuid> = lines.iter().map(|l| l.id).collect();
                let reserved = Reserved {
                    outcomes,
                    lines,
                    prices: views::reservation_prices(&reservation),
                    charge_at: self.fulfilment.charge_at,
                };
                let recorded = self.record_outcome(order.id, Some(reserved), request).await;
                if let Err(ServiceError::FailedPrecondition { reason, .. }) = &recorded
                    && *reason == ORDER_REFUSED
                {
                    self.release_orphaned(order.id, line_ids).await?;
                }
                recorded
            }
            Err(status) if is_refusal(&status) => {
                let order_id = order.id;
                let lost = lost_sale(&status, &asked_lines);
                let deletion = self
                    .context
                    .internal(move |work| {
                        Box::pin(async move {
                            let deletion =
                                queries::delete_pending_order(work.db(), order_id).await?;
                            // Counted once: only the call that removed the
                            // pending order records what was lost.
                            if let (Deletion::Deleted, Some((units, lines))) = (&deletion, &lost) {
                                queries::record_lost_sale(
                                    work.db(),
                                    order_id,
                                    *units,
                                    lines,
                                    now_ms(),
                                )
                                .await?;
                            }
                            Ok(deletion)
                        })
                    })
                    .await?;
                match deletion {
                    Deletion::Deleted | Deletion::Gone => Err(ServiceError::Upstream(status)),
                    // A twin completed the order before this refusal came
                    // back: the order stands, and so does the twin's answer.
                    Deletion::NotPending => self.record_outcome(order_id, None, request).await,
                }
            }
            Err(status) => Err(ServiceError::Unavailable {
                reason: "INVENTORY_UNAVAILABLE",
                message: format!(
                    "inventory could not reserve the order ({:?}: {}); retry PlaceOrder with the same request_id",
                    status.code(),
                    status.message()
                ),
            }),
        }
    }

    /// Records inventory's answer (or, with `None`, answers with the order
    /// as a twin completed it) in one unit of work: the caller's request
    /// when there is one, so its answer is stored under its `request_id`.
    async fn record_outcome(
        &self,
        order_id: Uuid,
        reserved: Option<Reserved>,
        request: Option<&pb::PlaceOrderRequest>,
    ) -> ServiceResult<pb::PlaceOrderResponse> {
        match request {
            Some(request) => {
                self.context
                    .execute(request, move |work| {
                        Box::pin(apply_reservation(work, order_id, reserved))
                    })
                    .await
            }
            None => {
                self.context
                    .internal(move |work| Box::pin(apply_reservation(work, order_id, reserved)))
                    .await
            }
        }
    }

    /// Inventory reserved lines of an order that a concurrent, refused
    /// attempt removed: give the stock back.
    async fn release_orphaned(&self, order_id: Uuid, line_ids: Vec<Uuid>) -> ServiceResult<()> {
        self.context
            .internal(move |work| {
                Box::pin(async move {
                    for line_id in line_ids {
                        work.send(views::release_request(order_id, line_id)).await?;
                    }
                    Ok(())
                })
            })
            .await
    }
}

/// Inventory's refusals, passed on to the caller; anything else is an
/// outage the caller retries.
/// What a stockout refusal lost: every unit of the order, and its short
/// lines as inventory named them; `None` for other refusals (bad input,
/// an unknown SKU), which are not lost sales.
fn lost_sale(status: &Status, asked: &[(String, i64)]) -> Option<(i64, Vec<LostLine>)> {
    let details = status.get_error_details();
    if details.error_info().map(|info| info.reason.as_str()) != Some("STOCKOUT") {
        return None;
    }
    let violations: Vec<(String, String)> = details
        .precondition_failure()
        .map(|failure| {
            failure
                .violations
                .iter()
                .map(|v| (v.r#type.clone(), v.subject.clone()))
                .collect()
        })
        .unwrap_or_default();
    let units = asked
        .iter()
        .fold(0i64, |sum, (_, units)| sum.saturating_add(*units));
    Some((units, lost_sales::short_lines(&violations, asked)))
}

fn is_refusal(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::FailedPrecondition | Code::NotFound | Code::InvalidArgument
    )
}

/// Moves a pending order's lines to what inventory answered, and tells the
/// customer. An order no longer pending is answered as it stands.
async fn apply_reservation(
    work: &Work,
    order_id: Uuid,
    reserved: Option<Reserved>,
) -> ServiceResult<pb::PlaceOrderResponse> {
    let Some(mut order) = queries::lock_order(work.db(), order_id).await? else {
        return Err(ServiceError::precondition(
            ORDER_REFUSED,
            "a concurrent attempt with this request_id was refused by inventory; nothing was placed",
        ));
    };
    work.set_resource(order.id.to_string());
    if order.status != OrderStatus::Pending {
        let lines = queries::lines_of(work.db(), order_id).await?;
        return Ok(pb::PlaceOrderResponse {
            order: Some(view(work.db(), &order, &lines).await?),
        });
    }
    let Some(Reserved {
        mut outcomes,
        mut lines,
        prices,
        charge_at,
    }) = reserved
    else {
        return Err(ServiceError::Aborted {
            reason: "ORDER_PENDING",
            message: "the order is still being placed; retry shortly".to_owned(),
        });
    };
    for line in &mut lines {
        let outcome = outcomes
            .remove(&line.id)
            .ok_or_else(|| ServiceError::Internal(format!("inventory skipped line {}", line.id)))?;
        let served = check_outcome(line.quantity, outcome).map_err(|e| {
            ServiceError::Internal(format!("inventory's answer for line {}: {e}", line.id))
        })?;
        let event = line.take_reservation(served);
        move_line(line, event)?;
        line.unit_price_minor = prices.get(&line.id).copied().unwrap_or_default();
    }
    queries::update_lines(work.db(), &lines).await?;
    queries::set_unit_prices(work.db(), &lines).await?;
    queries::insert_parts(work.db(), &lines).await?;
    save_status(work, &mut order, &lines).await?;
    let mut events: Vec<(Option<Uuid>, Recorded)> = lines
        .iter()
        .map(|line| {
            let event = if line.drop_ship {
                Recorded::LineDropShip(line)
            } else if line.backordered_quantity > 0 {
                Recorded::LineBackordered(line)
            } else {
                Recorded::LineReserved(line)
            };
            (Some(line.id), event)
        })
        .collect();
    events.push((
        None,
        Recorded::OrderPlaced {
            lines: lines.len(),
            policy: order.ship_policy,
        },
    ));
    queries::record_all(work.db(), order.id, events).await?;
    notify(work, &order, Notice::order_confirmed(&lines)).await?;
    for line in lines.iter().filter(|l| l.backordered_quantity > 0) {
        notify(work, &order, Notice::backordered(line)).await?;
    }
    payments::authorize_at_sale(work, &order, &mut lines, charge_at).await?;
    // An order that was pending until now has no shipments to read.
    Ok(pb::PlaceOrderResponse {
        order: Some(views::order_to_proto(&order, &lines, &[])),
    })
}
