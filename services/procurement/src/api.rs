//! gRPC handlers: validate and map requests, run each change in one
//! transaction (with its idempotency record and outbox messages), map
//! results back. The rules themselves live in [`crate::domain`].

use std::collections::{BTreeMap, HashSet};

use backorder_platform::error::PreconditionViolation;
use backorder_platform::idempotency::IdempotencyKey;
use backorder_platform::ids::{Violations, new_id_string, parse_uuid};
use backorder_platform::outbox::{Envelope, enqueue};
use backorder_platform::paging::PageRequest;
use backorder_platform::service::ServiceContext;
use backorder_platform::telemetry::{continue_stored_trace, current_traceparent, traceparent_of};
use backorder_platform::time::{from_timestamp, now_ms, to_timestamp, to_timestamp_opt};
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1::ReceiveStockRequest;
use backorder_proto::order::v1::UpdateLineEtaRequest;
use backorder_proto::procurement::v1 as pb;
use backorder_proto::procurement::v1::procurement_service_server::ProcurementService;

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::domain::{self, LineProgress, Offer, PoRefusal, PoStatus};
use crate::store::queries;
use crate::store::{demand, purchase_order, purchase_order_line, supplier, supplier_item};

const UPDATE_LINE_ETA: &str = "/backorder.order.v1.OrderService/UpdateLineEta";
const RECEIVE_STOCK: &str = "/backorder.inventory.v1.InventoryService/ReceiveStock";

/// Most lines one receipt may have.
const MAX_RECEIPT_LINES: usize = 500;

/// The procurement gRPC service.
#[derive(Clone)]
pub struct ProcurementApi {
    context: ServiceContext,
}

impl ProcurementApi {
    /// Serves from the service's database.
    pub fn new(context: ServiceContext) -> Self {
        Self { context }
    }
}

fn item_to_proto(item: &supplier_item::Model) -> pb::SupplierItem {
    pb::SupplierItem {
        supplier_id: item.supplier_id.clone(),
        sku: item.sku.clone(),
        unit_cost_minor: item.unit_cost_minor,
        minimum_order_quantity: item.minimum_order_quantity,
        case_pack: item.case_pack,
        preferred: item.preferred,
    }
}

fn supplier_to_proto(supplier: &supplier::Model, items: &[supplier_item::Model]) -> pb::Supplier {
    pb::Supplier {
        id: supplier.id.clone(),
        name: supplier.name.clone(),
        lead_time_days: supplier.lead_time_days,
        items: items.iter().map(item_to_proto).collect(),
        create_time: Some(to_timestamp(supplier.created_at)),
    }
}

fn line_to_proto(line: &purchase_order_line::Model) -> pb::PurchaseOrderLine {
    pb::PurchaseOrderLine {
        sku: line.sku.clone(),
        demand_quantity: line.demand_quantity,
        ordered_quantity: line.ordered_quantity,
        received_quantity: line.received_quantity,
        unit_cost_minor: line.unit_cost_minor,
    }
}

fn purchase_order_to_proto(
    po: &purchase_order::Model,
    lines: &[purchase_order_line::Model],
) -> pb::PurchaseOrder {
    pb::PurchaseOrder {
        id: po.id.clone(),
        supplier_id: po.supplier_id.clone(),
        status: po.status,
        lines: lines.iter().map(line_to_proto).collect(),
        promised_time: to_timestamp_opt(po.promised_at),
        create_time: Some(to_timestamp(po.created_at)),
        submit_time: to_timestamp_opt(po.submitted_at),
        receive_time: to_timestamp_opt(po.received_at),
        update_time: Some(to_timestamp(po.updated_at)),
    }
}

fn demand_to_proto(d: &demand::Model) -> pb::Demand {
    pb::Demand {
        id: d.id.clone(),
        sku: d.sku.clone(),
        quantity: d.quantity,
        order_id: d.order_id.clone(),
        line_id: d.line_id.clone(),
        purchase_order_id: d.purchase_order_id.clone().unwrap_or_default(),
        eta: to_timestamp_opt(d.eta),
        released: d.released,
        create_time: Some(to_timestamp(d.created_at)),
    }
}

fn validate_sku(violations: &mut Violations, field: &str, sku: &str) {
    if sku.is_empty() {
        violations.add(field, "is required");
    } else if sku.len() > 64 || sku.chars().any(char::is_whitespace) {
        violations.add(field, "must be 1-64 characters without spaces");
    }
}

fn purchase_order_not_found(id: &str) -> ServiceError {
    ServiceError::not_found("purchase order", id)
}

fn refused(refusal: PoRefusal) -> ServiceError {
    ServiceError::precondition(refusal.reason(), refusal.describe())
}

fn status_of(po: &purchase_order::Model) -> ServiceResult<PoStatus> {
    PoStatus::from_code(po.status).ok_or_else(|| {
        ServiceError::Internal(format!(
            "purchase order {} has unknown status {}",
            po.id, po.status
        ))
    })
}

/// The offer that gets a SKU's demand (see [`domain::pick_offer`]).
fn pick(offers: &[supplier_item::Model]) -> Option<&supplier_item::Model> {
    let candidates: Vec<Offer> = offers
        .iter()
        .map(|o| Offer {
            supplier_id: o.supplier_id.clone(),
            unit_cost_minor: o.unit_cost_minor,
            preferred: o.preferred,
        })
        .collect();
    let chosen = domain::pick_offer(&candidates)?;
    offers.iter().find(|o| o.supplier_id == chosen.supplier_id)
}

/// The RPC span of work that serves many demands at once (submit,
/// acknowledge, receive, cancel, late sourcing).
struct Batch {
    span: tracing::Span,
}

impl Batch {
    fn current() -> Self {
        Self {
            span: tracing::Span::current(),
        }
    }

    /// A short span for the work on one demand, in the trace of the sale
    /// that raised it and linked to the batch span, which in turn links to
    /// every sale it touches. Ids only: no customer data.
    fn demand_span(&self, demand: &demand::Model, name: &'static str) -> tracing::Span {
        let span = tracing::info_span!(
            "procurement.demand",
            otel.name = name,
            demand.id = %demand.id,
            order.id = %demand.order_id,
            order.line_id = %demand.line_id,
            sku = %demand.sku,
            quantity = demand.quantity,
        );
        continue_stored_trace(&span, demand.trace_context.as_deref(), &self.span);
        span
    }
}

/// Tells the order service the ETA and purchase order of a sourced demand's
/// line, in the trace `trace` (or the current span's).
async fn send_eta<C: ConnectionTrait>(
    conn: &C,
    demand: &demand::Model,
    trace: Option<String>,
) -> ServiceResult<bool> {
    let (Some(purchase_order_id), Some(eta)) = (&demand.purchase_order_id, demand.eta) else {
        return Ok(false);
    };
    let id = new_id_string();
    let message = UpdateLineEtaRequest {
        request_id: id.clone(),
        order_id: demand.order_id.clone(),
        line_id: demand.line_id.clone(),
        eta: Some(to_timestamp(eta)),
        purchase_order_id: purchase_order_id.clone(),
    };
    enqueue(
        conn,
        Envelope::new(id, "order", UPDATE_LINE_ETA, &message).in_trace(trace),
    )
    .await?;
    Ok(true)
}

/// Puts `demand` on the open draft of `item`'s supplier (creating the draft
/// and its line for the SKU as needed), rounds the line to the offer's MOQ
/// and case pack, sets the demand's purchase order and ETA and tells the
/// order service. The caller stores the demand.
async fn consolidate<C: ConnectionTrait>(
    conn: &C,
    demand: &mut demand::Model,
    item: &supplier_item::Model,
    now: i64,
    trace: Option<String>,
) -> ServiceResult<bool> {
    let supplier = queries::find_supplier(conn, &item.supplier_id)
        .await?
        .ok_or_else(|| {
            ServiceError::Internal(format!(
                "supplier {} of an offer is missing",
                item.supplier_id
            ))
        })?;
    let po = match queries::lock_draft(conn, &supplier.id).await? {
        Some(po) => {
            queries::touch_purchase_order(conn, &po.id, now).await?;
            po
        }
        None => {
            let po = purchase_order::Model {
                id: new_id_string(),
                supplier_id: supplier.id.clone(),
                status: PoStatus::Draft.code(),
                promised_at: None,
                submitted_at: None,
                received_at: None,
                created_at: now,
                updated_at: now,
            };
            queries::insert_purchase_order(conn, po.clone()).await?;
            po
        }
    };
    match queries::find_line(conn, &po.id, &demand.sku).await? {
        Some(mut line) => {
            line.demand_quantity = line.demand_quantity.saturating_add(demand.quantity);
            line.ordered_quantity = domain::ordered_quantity(
                line.demand_quantity,
                item.minimum_order_quantity,
                item.case_pack,
            );
            line.unit_cost_minor = item.unit_cost_minor;
            queries::update_line(conn, &line).await?;
        }
        None => {
            queries::insert_line(
                conn,
                purchase_order_line::Model {
                    id: new_id_string(),
                    purchase_order_id: po.id.clone(),
                    sku: demand.sku.clone(),
                    demand_quantity: demand.quantity,
                    ordered_quantity: domain::ordered_quantity(
                        demand.quantity,
                        item.minimum_order_quantity,
                        item.case_pack,
                    ),
                    received_quantity: 0,
                    unit_cost_minor: item.unit_cost_minor,
                },
            )
            .await?;
        }
    }
    demand.purchase_order_id = Some(po.id.clone());
    demand.eta = Some(domain::eta(
        po.promised_at,
        po.submitted_at.unwrap_or(now),
        supplier.lead_time_days,
    ));
    send_eta(conn, demand, trace).await
}

/// Sources `demand` from its SKU's preferred (else cheapest) supplier, or
/// leaves it unsourced when nobody supplies the SKU. Returns whether a
/// message was enqueued. The caller stores the demand.
async fn source_demand<C: ConnectionTrait>(
    conn: &C,
    demand: &mut demand::Model,
    now: i64,
    trace: Option<String>,
) -> ServiceResult<bool> {
    let offers = queries::offers_for_sku(conn, &demand.sku).await?;
    match pick(&offers) {
        Some(item) => consolidate(conn, demand, item, now, trace).await,
        None => {
            demand.purchase_order_id = None;
            demand.eta = None;
            Ok(false)
        }
    }
}

/// Re-sources open `demands` one by one, each in its own span in the trace
/// of the sale that raised it; `item` is the offer to use, or `None` to pick
/// one per SKU. Returns whether a message was enqueued.
async fn resource_demands<C: ConnectionTrait>(
    conn: &C,
    demands: Vec<demand::Model>,
    item: Option<&supplier_item::Model>,
    now: i64,
    span_name: &'static str,
) -> ServiceResult<bool> {
    let batch = Batch::current();
    let mut enqueued = false;
    for mut demand in demands {
        let span = batch.demand_span(&demand, span_name);
        let trace = traceparent_of(&span.context());
        let sent = async {
            demand.purchase_order_id = None;
            demand.eta = None;
            let sent = match item {
                Some(item) if item.sku == demand.sku => {
                    consolidate(conn, &mut demand, item, now, trace).await?
                }
                _ => source_demand(conn, &mut demand, now, trace).await?,
            };
            queries::update_demand(conn, &demand).await?;
            Ok::<_, ServiceError>(sent)
        }
        .instrument(span)
        .await?;
        enqueued |= sent;
    }
    Ok(enqueued)
}

impl ProcurementApi {
    /// The `CreateSupplier` RPC.
    pub async fn create_supplier(
        &self,
        req: pb::CreateSupplierRequest,
    ) -> ServiceResult<pb::CreateSupplierResponse> {
        let mut v = Violations::new();
        v.text("name", &req.name, 200);
        if req.lead_time_days < 0 {
            v.add("lead_time_days", "must be 0 or more");
        }
        v.finish()?;
        let key = IdempotencyKey::new("CreateSupplier", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let model = supplier::Model {
            id: new_id_string(),
            name: req.name.trim().to_owned(),
            lead_time_days: req.lead_time_days,
            created_at: now_ms(),
        };
        queries::insert_supplier(&txn, model.clone()).await?;
        let response = pb::CreateSupplierResponse {
            supplier: Some(supplier_to_proto(&model, &[])),
        };
        key.save(&txn, &model.id, &response).await?;
        self.context.commit(txn, false).await?;
        Ok(response)
    }

    /// The `GetSupplier` RPC.
    pub async fn get_supplier(
        &self,
        req: pb::GetSupplierRequest,
    ) -> ServiceResult<pb::GetSupplierResponse> {
        parse_uuid("supplier_id", &req.supplier_id)?;
        let db = &self.context.db;
        let supplier = queries::find_supplier(db, &req.supplier_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("supplier", &req.supplier_id))?;
        let items = queries::items_of_suppliers(db, vec![supplier.id.clone()]).await?;
        Ok(pb::GetSupplierResponse {
            supplier: Some(supplier_to_proto(&supplier, &items)),
        })
    }

    /// The `GetSupplierPerformance` RPC.
    pub async fn get_supplier_performance(
        &self,
        req: pb::GetSupplierPerformanceRequest,
    ) -> ServiceResult<pb::GetSupplierPerformanceResponse> {
        parse_uuid("supplier_id", &req.supplier_id)?;
        let db = &self.context.db;
        let supplier = queries::find_supplier(db, &req.supplier_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("supplier", &req.supplier_id))?;
        let received: Vec<domain::ReceivedPo> = queries::received_purchase_orders(db, &supplier.id)
            .await?
            .into_iter()
            .filter_map(|po| {
                Some(domain::ReceivedPo {
                    submitted_at: po.submitted_at?,
                    promised_at: po.promised_at,
                    received_at: po.received_at?,
                })
            })
            .collect();
        let performance = domain::supplier_performance(&received);
        Ok(pb::GetSupplierPerformanceResponse {
            supplier_id: supplier.id,
            lead_time_days: supplier.lead_time_days,
            purchase_orders_received: performance.received,
            purchase_orders_promised: performance.promised,
            received_on_time: performance.on_time,
            on_time_rate_percent: performance.on_time_rate_percent,
            average_days_to_receive: performance.average_days_to_receive,
        })
    }

    /// The `ListSuppliers` RPC.
    pub async fn list_suppliers(
        &self,
        req: pb::ListSuppliersRequest,
    ) -> ServiceResult<pb::ListSuppliersResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let rows = queries::list_suppliers(db, page.after.as_deref(), page.fetch_limit()).await?;
        let (rows, next_page_token) = page.finish(rows, |s| s.id.clone());
        let items =
            queries::items_of_suppliers(db, rows.iter().map(|s| s.id.clone()).collect()).await?;
        let mut by_supplier: BTreeMap<&str, Vec<supplier_item::Model>> = BTreeMap::new();
        for item in &items {
            by_supplier
                .entry(item.supplier_id.as_str())
                .or_default()
                .push(item.clone());
        }
        let suppliers = rows
            .iter()
            .map(|s| {
                let items = by_supplier
                    .get(s.id.as_str())
                    .map_or(&[][..], Vec::as_slice);
                supplier_to_proto(s, items)
            })
            .collect();
        Ok(pb::ListSuppliersResponse {
            suppliers,
            next_page_token,
        })
    }

    /// The `SetSupplierItem` RPC. Besides storing the offer, it re-rounds
    /// the SKU's line on the supplier's open draft to the new terms, and
    /// sources the SKU's demand that was waiting for a supplier.
    pub async fn set_supplier_item(
        &self,
        req: pb::SetSupplierItemRequest,
    ) -> ServiceResult<pb::SetSupplierItemResponse> {
        let mut v = Violations::new();
        v.uuid("supplier_id", &req.supplier_id);
        validate_sku(&mut v, "sku", &req.sku);
        if req.unit_cost_minor < 0 {
            v.add("unit_cost_minor", "must be 0 or more");
        }
        if req.minimum_order_quantity < 1 {
            v.add("minimum_order_quantity", "must be at least 1");
        }
        if req.case_pack < 1 {
            v.add("case_pack", "must be at least 1");
        }
        v.finish()?;
        let key = IdempotencyKey::new("SetSupplierItem", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        queries::find_supplier(&txn, &req.supplier_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("supplier", &req.supplier_id))?;
        let now = now_ms();
        if req.preferred {
            queries::clear_preferred(&txn, &req.sku, &req.supplier_id, now).await?;
        }
        let item = supplier_item::Model {
            supplier_id: req.supplier_id.clone(),
            sku: req.sku.clone(),
            unit_cost_minor: req.unit_cost_minor,
            minimum_order_quantity: req.minimum_order_quantity,
            case_pack: req.case_pack,
            preferred: req.preferred,
            updated_at: now,
        };
        queries::upsert_item(&txn, item.clone()).await?;
        if let Some(draft) = queries::lock_draft(&txn, &req.supplier_id).await?
            && let Some(mut line) = queries::find_line(&txn, &draft.id, &req.sku).await?
        {
            line.ordered_quantity = domain::ordered_quantity(
                line.demand_quantity,
                item.minimum_order_quantity,
                item.case_pack,
            );
            line.unit_cost_minor = item.unit_cost_minor;
            queries::update_line(&txn, &line).await?;
            queries::touch_purchase_order(&txn, &draft.id, now).await?;
        }
        let waiting = queries::open_unsourced_demands(&txn, &req.sku).await?;
        let enqueued = resource_demands(&txn, waiting, None, now, "source waiting demand").await?;
        let response = pb::SetSupplierItemResponse {
            item: Some(item_to_proto(&item)),
        };
        key.save(&txn, &req.supplier_id, &response).await?;
        self.context.commit(txn, enqueued).await?;
        Ok(response)
    }

    /// The `AddDemand` RPC.
    pub async fn add_demand(
        &self,
        req: pb::AddDemandRequest,
    ) -> ServiceResult<pb::AddDemandResponse> {
        let mut v = Violations::new();
        v.uuid("demand_id", &req.demand_id);
        validate_sku(&mut v, "sku", &req.sku);
        if req.quantity < 1 {
            v.add("quantity", "must be at least 1");
        }
        v.uuid("order_id", &req.order_id);
        v.uuid("line_id", &req.line_id);
        v.finish()?;
        let key = IdempotencyKey::new("AddDemand", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        if let Some(existing) = queries::find_demand(&txn, &req.demand_id).await? {
            let response = pb::AddDemandResponse {
                demand: Some(demand_to_proto(&existing)),
            };
            key.save(&txn, &existing.id, &response).await?;
            self.context.commit(txn, false).await?;
            return Ok(response);
        }
        let now = now_ms();
        let mut demand = demand::Model {
            id: req.demand_id.clone(),
            sku: req.sku.clone(),
            quantity: req.quantity,
            order_id: req.order_id.clone(),
            line_id: req.line_id.clone(),
            purchase_order_id: None,
            eta: None,
            released: false,
            trace_context: current_traceparent(),
            created_at: now,
        };
        let enqueued = source_demand(&txn, &mut demand, now, None).await?;
        queries::insert_demand(&txn, demand.clone()).await?;
        let response = pb::AddDemandResponse {
            demand: Some(demand_to_proto(&demand)),
        };
        key.save(&txn, &demand.id, &response).await?;
        self.context.commit(txn, enqueued).await?;
        Ok(response)
    }

    /// The `ReleaseDemand` RPC.
    pub async fn release_demand(
        &self,
        req: pb::ReleaseDemandRequest,
    ) -> ServiceResult<pb::ReleaseDemandResponse> {
        let mut v = Violations::new();
        v.uuid("demand_id", &req.demand_id);
        v.finish()?;
        let key = IdempotencyKey::new("ReleaseDemand", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let released = match queries::find_demand(&txn, &req.demand_id).await? {
            None => false,
            Some(demand) if demand.released => true,
            Some(mut demand) => {
                if let Some(po_id) = demand.purchase_order_id.clone() {
                    self.shrink_line(&txn, &po_id, &demand).await?;
                }
                demand.released = true;
                queries::update_demand(&txn, &demand).await?;
                true
            }
        };
        let response = pb::ReleaseDemandResponse { released };
        key.save(&txn, &req.demand_id, &response).await?;
        self.context.commit(txn, false).await?;
        Ok(response)
    }

    /// Takes a released demand off its purchase order line: a draft orders
    /// less; a submitted order keeps its ordered units (they become stock).
    async fn shrink_line(
        &self,
        txn: &DatabaseTransaction,
        po_id: &str,
        demand: &demand::Model,
    ) -> ServiceResult<()> {
        let Some(po) = queries::lock_purchase_order(txn, po_id).await? else {
            return Ok(());
        };
        let status = status_of(&po)?;
        if status == PoStatus::Cancelled {
            return Ok(());
        }
        let Some(mut line) = queries::find_line(txn, po_id, &demand.sku).await? else {
            return Ok(());
        };
        line.demand_quantity = (line.demand_quantity - demand.quantity).max(0);
        if status == PoStatus::Draft {
            let item = queries::find_item(txn, &po.supplier_id, &demand.sku)
                .await?
                .ok_or_else(|| {
                    ServiceError::Internal(format!(
                        "draft {po_id} carries {} but its supplier has no offer for it",
                        demand.sku
                    ))
                })?;
            line.ordered_quantity = domain::ordered_quantity(
                line.demand_quantity,
                item.minimum_order_quantity,
                item.case_pack,
            );
        }
        queries::update_line(txn, &line).await?;
        queries::touch_purchase_order(txn, po_id, now_ms()).await?;
        Ok(())
    }

    /// The `ListDemands` RPC.
    pub async fn list_demands(
        &self,
        req: pb::ListDemandsRequest,
    ) -> ServiceResult<pb::ListDemandsResponse> {
        parse_uuid("order_id", &req.order_id)?;
        let demands = queries::demands_of_order(&self.context.db, &req.order_id).await?;
        Ok(pb::ListDemandsResponse {
            demands: demands.iter().map(demand_to_proto).collect(),
        })
    }

    /// The `GetPurchaseOrder` RPC.
    pub async fn get_purchase_order(
        &self,
        req: pb::GetPurchaseOrderRequest,
    ) -> ServiceResult<pb::GetPurchaseOrderResponse> {
        parse_uuid("purchase_order_id", &req.purchase_order_id)?;
        let db = &self.context.db;
        let po = queries::find_purchase_order(db, &req.purchase_order_id)
            .await?
            .ok_or_else(|| purchase_order_not_found(&req.purchase_order_id))?;
        let lines = queries::lines_of(db, &po.id).await?;
        Ok(pb::GetPurchaseOrderResponse {
            purchase_order: Some(purchase_order_to_proto(&po, &lines)),
        })
    }

    /// The `ListPurchaseOrders` RPC.
    pub async fn list_purchase_orders(
        &self,
        req: pb::ListPurchaseOrdersRequest,
    ) -> ServiceResult<pb::ListPurchaseOrdersResponse> {
        let mut v = Violations::new();
        let supplier_id = if req.supplier_id.is_empty() {
            None
        } else {
            v.uuid("supplier_id", &req.supplier_id);
            Some(req.supplier_id.as_str())
        };
        let status = match req.status {
            0 => None,
            code => {
                let status = PoStatus::from_code(code);
                if status.is_none() {
                    v.add("status", "must be a purchase order status or unspecified");
                }
                status
            }
        };
        v.finish()?;
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let rows = queries::list_purchase_orders(
            db,
            supplier_id,
            status,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
        let (rows, next_page_token) = page.finish(rows, |po| po.id.clone());
        let lines =
            queries::lines_of_many(db, rows.iter().map(|po| po.id.clone()).collect()).await?;
        let mut by_po: BTreeMap<&str, Vec<purchase_order_line::Model>> = BTreeMap::new();
        for line in &lines {
            by_po
                .entry(line.purchase_order_id.as_str())
                .or_default()
                .push(line.clone());
        }
        let purchase_orders = rows
            .iter()
            .map(|po| {
                let lines = by_po.get(po.id.as_str()).map_or(&[][..], Vec::as_slice);
                purchase_order_to_proto(po, lines)
            })
            .collect();
        Ok(pb::ListPurchaseOrdersResponse {
            purchase_orders,
            next_page_token,
        })
    }

    /// The `SubmitPurchaseOrder` RPC. ETAs are not re-sent: they were set
    /// when the demand arrived and change only with a promised date.
    pub async fn submit_purchase_order(
        &self,
        req: pb::SubmitPurchaseOrderRequest,
    ) -> ServiceResult<pb::SubmitPurchaseOrderResponse> {
        let mut v = Violations::new();
        v.uuid("purchase_order_id", &req.purchase_order_id);
        v.finish()?;
        let key = IdempotencyKey::new("SubmitPurchaseOrder", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let mut po = queries::lock_purchase_order(&txn, &req.purchase_order_id)
            .await?
            .ok_or_else(|| purchase_order_not_found(&req.purchase_order_id))?;
        let lines = queries::lines_of(&txn, &po.id).await?;
        let ordered: Vec<i64> = lines.iter().map(|l| l.ordered_quantity).collect();
        let next = domain::submit(status_of(&po)?, &ordered).map_err(refused)?;
        let now = now_ms();
        po.status = next.code();
        po.submitted_at = Some(now);
        po.updated_at = now;
        queries::update_purchase_order(&txn, &po).await?;
        let batch = Batch::current();
        for demand in queries::open_demands_of_purchase_order(&txn, &po.id).await? {
            let span = batch.demand_span(&demand, "purchase order submitted for demand");
            span.in_scope(|| tracing::debug!("demand's purchase order submitted"));
        }
        let response = pb::SubmitPurchaseOrderResponse {
            purchase_order: Some(purchase_order_to_proto(&po, &lines)),
        };
        key.save(&txn, &po.id, &response).await?;
        self.context.commit(txn, false).await?;
        Ok(response)
    }

    /// The `AcknowledgePurchaseOrder` RPC.
    pub async fn acknowledge_purchase_order(
        &self,
        req: pb::AcknowledgePurchaseOrderRequest,
    ) -> ServiceResult<pb::AcknowledgePurchaseOrderResponse> {
        let mut v = Violations::new();
        v.uuid("purchase_order_id", &req.purchase_order_id);
        match &req.promised_time {
            None => v.add("promised_time", "is required"),
            Some(ts) => v.timestamp("promised_time", ts),
        }
        v.finish()?;
        let key = IdempotencyKey::new("AcknowledgePurchaseOrder", &req.request_id, &req)?;
        let Some(promised) = req.promised_time.as_ref().map(from_timestamp) else {
            return Err(ServiceError::invalid("promised_time", "is required"));
        };
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let mut po = queries::lock_purchase_order(&txn, &req.purchase_order_id)
            .await?
            .ok_or_else(|| purchase_order_not_found(&req.purchase_order_id))?;
        let next = domain::acknowledge(status_of(&po)?).map_err(refused)?;
        po.status = next.code();
        po.promised_at = Some(promised);
        po.updated_at = now_ms();
        queries::update_purchase_order(&txn, &po).await?;
        let batch = Batch::current();
        let mut enqueued = false;
        for mut demand in queries::open_demands_of_purchase_order(&txn, &po.id).await? {
            if demand.eta == Some(promised) {
                continue;
            }
            let span = batch.demand_span(&demand, "promised date set for demand");
            let trace = traceparent_of(&span.context());
            demand.eta = Some(promised);
            enqueued |= async {
                queries::update_demand(&txn, &demand).await?;
                send_eta(&txn, &demand, trace).await
            }
            .instrument(span)
            .await?;
        }
        let lines = queries::lines_of(&txn, &po.id).await?;
        let response = pb::AcknowledgePurchaseOrderResponse {
            purchase_order: Some(purchase_order_to_proto(&po, &lines)),
        };
        key.save(&txn, &po.id, &response).await?;
        self.context.commit(txn, enqueued).await?;
        Ok(response)
    }

    /// The `ReceivePurchaseOrder` RPC.
    pub async fn receive_purchase_order(
        &self,
        req: pb::ReceivePurchaseOrderRequest,
    ) -> ServiceResult<pb::ReceivePurchaseOrderResponse> {
        let mut v = Violations::new();
        v.uuid("purchase_order_id", &req.purchase_order_id);
        if req.lines.is_empty() {
            v.add("lines", "must have at least one line");
        } else if req.lines.len() > MAX_RECEIPT_LINES {
            v.add(
                "lines",
                format!("must have at most {MAX_RECEIPT_LINES} lines"),
            );
        }
        let mut skus = HashSet::new();
        for (i, line) in req.lines.iter().enumerate() {
            validate_sku(&mut v, &format!("lines[{i}].sku"), &line.sku);
            if !line.sku.is_empty() && !skus.insert(line.sku.as_str()) {
                v.add(format!("lines[{i}].sku"), "repeats an earlier line's SKU");
            }
            if line.quantity < 1 {
                v.add(format!("lines[{i}].quantity"), "must be at least 1");
            }
        }
        v.finish()?;
        let key = IdempotencyKey::new("ReceivePurchaseOrder", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let mut po = queries::lock_purchase_order(&txn, &req.purchase_order_id)
            .await?
            .ok_or_else(|| purchase_order_not_found(&req.purchase_order_id))?;
        domain::check_receivable(status_of(&po)?).map_err(refused)?;
        let mut lines = queries::lines_of(&txn, &po.id).await?;
        let mut over = Vec::new();
        let mut changed = Vec::new();
        for (i, receipt) in req.lines.iter().enumerate() {
            let Some(index) = lines.iter().position(|l| l.sku == receipt.sku) else {
                return Err(ServiceError::not_found(
                    "purchase order line",
                    format!("{}/{}", po.id, receipt.sku),
                ));
            };
            let line = &mut lines[index];
            match domain::receive_line(
                line.ordered_quantity,
                line.received_quantity,
                receipt.quantity,
            ) {
                Ok(after) => {
                    line.received_quantity = after;
                    changed.push(index);
                }
                Err(refusal) => over.push(PreconditionViolation {
                    kind: refusal.reason().to_owned(),
                    subject: format!("lines[{i}] sku:{}", receipt.sku),
                    description: refusal.describe(),
                }),
            }
        }
        if !over.is_empty() {
            let message = format!(
                "receipt refused, nothing booked: {}",
                over.iter()
                    .map(|r| format!("{}: {}", r.subject, r.description))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            return Err(ServiceError::FailedPrecondition {
                reason: "OVER_RECEIPT",
                message,
                violations: over,
            });
        }
        for index in changed {
            queries::update_line(&txn, &lines[index]).await?;
        }
        let progress: Vec<LineProgress> = lines
            .iter()
            .map(|l| LineProgress {
                ordered: l.ordered_quantity,
                received: l.received_quantity,
            })
            .collect();
        let status = domain::status_after_receipt(&progress);
        po.status = status.code();
        po.updated_at = now_ms();
        if status == PoStatus::Received {
            po.received_at = Some(po.updated_at);
        }
        queries::update_purchase_order(&txn, &po).await?;
        for receipt in &req.lines {
            let id = new_id_string();
            let message = ReceiveStockRequest {
                request_id: id.clone(),
                sku: receipt.sku.clone(),
                quantity: receipt.quantity,
                purchase_order_id: po.id.clone(),
            };
            enqueue(
                &txn,
                Envelope::new(id, "inventory", RECEIVE_STOCK, &message),
            )
            .await?;
        }
        let batch = Batch::current();
        for demand in queries::open_demands_of_purchase_order(&txn, &po.id).await? {
            if skus.contains(demand.sku.as_str()) {
                let span = batch.demand_span(&demand, "goods received for demand");
                span.in_scope(|| tracing::debug!("goods for the demand's SKU received"));
            }
        }
        let response = pb::ReceivePurchaseOrderResponse {
            purchase_order: Some(purchase_order_to_proto(&po, &lines)),
        };
        key.save(&txn, &po.id, &response).await?;
        self.context.commit(txn, true).await?;
        Ok(response)
    }

    /// The `CancelPurchaseOrder` RPC. The reason is checked but not stored.
    pub async fn cancel_purchase_order(
        &self,
        req: pb::CancelPurchaseOrderRequest,
    ) -> ServiceResult<pb::CancelPurchaseOrderResponse> {
        let mut v = Violations::new();
        v.uuid("purchase_order_id", &req.purchase_order_id);
        if req.reason.chars().count() > 500 {
            v.add("reason", "must be at most 500 characters");
        }
        v.finish()?;
        let key = IdempotencyKey::new("CancelPurchaseOrder", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let mut po = queries::lock_purchase_order(&txn, &req.purchase_order_id)
            .await?
            .ok_or_else(|| purchase_order_not_found(&req.purchase_order_id))?;
        let lines = queries::lines_of(&txn, &po.id).await?;
        let received_any = lines.iter().any(|l| l.received_quantity > 0);
        let next = domain::cancel(status_of(&po)?, received_any).map_err(refused)?;
        let now = now_ms();
        po.status = next.code();
        po.updated_at = now;
        // Cancelled first: the supplier may now open a new draft.
        queries::update_purchase_order(&txn, &po).await?;
        let demands = queries::open_demands_of_purchase_order(&txn, &po.id).await?;
        let mut by_sku: BTreeMap<String, Vec<demand::Model>> = BTreeMap::new();
        for demand in demands {
            by_sku.entry(demand.sku.clone()).or_default().push(demand);
        }
        let mut enqueued = false;
        for (sku, demands) in by_sku {
            let item = queries::find_item(&txn, &po.supplier_id, &sku).await?;
            enqueued |= resource_demands(
                &txn,
                demands,
                item.as_ref(),
                now,
                "demand moved off cancelled purchase order",
            )
            .await?;
        }
        let response = pb::CancelPurchaseOrderResponse {
            purchase_order: Some(purchase_order_to_proto(&po, &lines)),
        };
        key.save(&txn, &po.id, &response).await?;
        self.context.commit(txn, enqueued).await?;
        Ok(response)
    }
}

backorder_platform::grpc_service! {
    ProcurementService => ProcurementApi {
        fn create_supplier(pb::CreateSupplierRequest) -> pb::CreateSupplierResponse;
        fn get_supplier(pb::GetSupplierRequest) -> pb::GetSupplierResponse;
        fn list_suppliers(pb::ListSuppliersRequest) -> pb::ListSuppliersResponse;
        fn get_supplier_performance(pb::GetSupplierPerformanceRequest) -> pb::GetSupplierPerformanceResponse;
        fn set_supplier_item(pb::SetSupplierItemRequest) -> pb::SetSupplierItemResponse;
        fn add_demand(pb::AddDemandRequest) -> pb::AddDemandResponse;
        fn release_demand(pb::ReleaseDemandRequest) -> pb::ReleaseDemandResponse;
        fn list_demands(pb::ListDemandsRequest) -> pb::ListDemandsResponse;
        fn get_purchase_order(pb::GetPurchaseOrderRequest) -> pb::GetPurchaseOrderResponse;
        fn list_purchase_orders(pb::ListPurchaseOrdersRequest) -> pb::ListPurchaseOrdersResponse;
        fn submit_purchase_order(pb::SubmitPurchaseOrderRequest) -> pb::SubmitPurchaseOrderResponse;
        fn acknowledge_purchase_order(pb::AcknowledgePurchaseOrderRequest) -> pb::AcknowledgePurchaseOrderResponse;
        fn receive_purchase_order(pb::ReceivePurchaseOrderRequest) -> pb::ReceivePurchaseOrderResponse;
        fn cancel_purchase_order(pb::CancelPurchaseOrderRequest) -> pb::CancelPurchaseOrderResponse;
    }
}
