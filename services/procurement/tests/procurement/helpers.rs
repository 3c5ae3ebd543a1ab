//! A fresh database per test, the API on it with no relay (messages stay
//! in the outbox table), and calls with deadlines.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use backorder_platform::grpc::{PeerChannel, peer_channel};
use backorder_platform::ids::new_id_string;
use backorder_platform::service::ServiceContext;
use backorder_platform::store::outbox_message;
use backorder_platform::testing::TestDatabase;
use backorder_platform::time::{from_timestamp, to_timestamp};
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1::{
    ReceiveStockRequest, SetDropShipRequest, SetInboundSupplyRequest,
};
use backorder_proto::order::v1::{RecordDropShipmentRequest, UpdateLineEtaRequest};
use backorder_proto::procurement::v1 as pb;
use backorder_proto::{Peer, Rpc};
use procurement::ProcurementApi;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use tonic::Code;

pub use crate::fake_inventory::FakeInventory;

pub const DRAFT: i32 = 1;
pub const SUBMITTED: i32 = 2;
pub const ACKNOWLEDGED: i32 = 3;
pub const PARTIALLY_RECEIVED: i32 = 4;
pub const RECEIVED: i32 = 5;
pub const CANCELLED: i32 = 6;
pub const DROP_SHIPPED: i32 = 7;

/// A customer's delivery address, as inventory sends it.
pub const ADDRESS: &str = "2 Harbour Road, Leith";

/// Longest any single call may take before the test fails.
pub const CALL_DEADLINE: Duration = Duration::from_secs(30);

/// Awaits `call`, failing the test when it outlives [`CALL_DEADLINE`].
pub async fn call<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(CALL_DEADLINE, call)
        .await
        .expect("the call answered within its deadline")
}

pub struct Harness {
    pub api: ProcurementApi,
    pub db: DatabaseConnection,
    pub database: TestDatabase,
    channels: BTreeMap<Peer, PeerChannel>,
}

/// The API with no peer configured.
pub async fn harness() -> Harness {
    harness_with(BTreeMap::new()).await
}

/// The API asking `inventory` for demand histories.
pub async fn harness_with_inventory(inventory: &FakeInventory) -> Harness {
    let channel = peer_channel(&inventory.address).expect("channel");
    harness_with(BTreeMap::from([(Peer::Inventory, channel)])).await
}

async fn harness_with(channels: BTreeMap<Peer, PeerChannel>) -> Harness {
    let database = TestDatabase::fresh("procurement")
        .await
        .expect("test database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("database");
    backorder_platform::db::migrate::<procurement::store::Migrator>(&db)
        .await
        .expect("migrations");
    let api = ProcurementApi::new(ServiceContext::standalone(db.clone(), channels.clone()));
    Harness {
        api,
        db,
        database,
        channels,
    }
}

impl Harness {
    /// Another replica of the service: its own API and units of work on
    /// the same database and peers.
    pub fn replica(&self) -> ProcurementApi {
        ProcurementApi::new(ServiceContext::standalone(
            self.db.clone(),
            self.channels.clone(),
        ))
    }

    pub async fn outbox(&self) -> Vec<outbox_message::Model> {
        outbox_message::Entity::find()
            .order_by_asc(outbox_message::Column::Id)
            .all(&self.db)
            .await
            .expect("outbox")
    }

    pub async fn messages<M: Rpc>(&self, destination: &str) -> Vec<M> {
        self.outbox()
            .await
            .into_iter()
            .filter(|m| m.method == M::PATH)
            .map(|m| {
                assert_eq!(m.destination, destination);
                M::decode(m.payload.as_slice()).expect("decode")
            })
            .collect()
    }

    pub async fn etas(&self) -> Vec<UpdateLineEtaRequest> {
        let etas = self.messages::<UpdateLineEtaRequest>("order").await;
        let ids: Vec<String> = self
            .outbox()
            .await
            .into_iter()
            .filter(|m| m.method == UpdateLineEtaRequest::PATH)
            .map(|m| m.id)
            .collect();
        for (message, id) in etas.iter().zip(&ids) {
            assert_eq!(&message.request_id, id, "request_id is the message id");
        }
        etas
    }

    /// The inbound-supply snapshots inventory was told, in order; each
    /// one's request id is its outbox message's id.
    pub async fn supplies(&self) -> Vec<SetInboundSupplyRequest> {
        let supplies = self.messages::<SetInboundSupplyRequest>("inventory").await;
        let ids: Vec<String> = self
            .outbox()
            .await
            .into_iter()
            .filter(|m| m.method == SetInboundSupplyRequest::PATH)
            .map(|m| m.id)
            .collect();
        assert_eq!(supplies.len(), ids.len());
        for (message, id) in supplies.iter().zip(&ids) {
            assert_eq!(&message.request_id, id, "request_id is the message id");
        }
        supplies
    }

    /// The snapshots of `sku`, in order.
    pub async fn supplies_of(&self, sku: &str) -> Vec<SetInboundSupplyRequest> {
        self.supplies()
            .await
            .into_iter()
            .filter(|m| m.sku == sku)
            .collect()
    }

    /// The latest snapshot of `sku`.
    pub async fn last_supply(&self, sku: &str) -> SetInboundSupplyRequest {
        self.supplies_of(sku)
            .await
            .pop()
            .expect("a snapshot of the SKU")
    }

    pub async fn receipts(&self) -> Vec<ReceiveStockRequest> {
        self.messages::<ReceiveStockRequest>("inventory").await
    }

    /// What inventory was told about drop-shipping, in order.
    pub async fn drop_ship_flags(&self) -> Vec<(String, bool)> {
        self.messages::<SetDropShipRequest>("inventory")
            .await
            .into_iter()
            .map(|m| (m.sku, m.drop_ship))
            .collect()
    }

    /// The drop shipments the order service was told of.
    pub async fn drop_shipments(&self) -> Vec<RecordDropShipmentRequest> {
        self.messages::<RecordDropShipmentRequest>("order").await
    }

    pub async fn supplier(&self, name: &str, lead_time_days: i32) -> String {
        call(self.api.create_supplier(pb::CreateSupplierRequest {
            request_id: new_id_string(),
            name: name.to_owned(),
            lead_time_days,
        }))
        .await
        .expect("supplier")
        .supplier
        .expect("supplier")
        .id
    }

    pub async fn item(
        &self,
        supplier_id: &str,
        sku: &str,
        cost: i64,
        moq: i64,
        case_pack: i64,
        preferred: bool,
    ) -> ServiceResult<pb::SetSupplierItemResponse> {
        call(self.api.set_supplier_item(pb::SetSupplierItemRequest {
            request_id: new_id_string(),
            supplier_id: supplier_id.to_owned(),
            sku: sku.to_owned(),
            unit_cost_minor: cost,
            minimum_order_quantity: moq,
            case_pack,
            preferred,
            drop_ship: false,
        }))
        .await
    }

    /// An offer that ships straight to customers, with MOQ 10 and cases of
    /// 6 (which drop-ship lines ignore).
    pub async fn drop_ship_item(
        &self,
        supplier_id: &str,
        sku: &str,
        preferred: bool,
        drop_ship: bool,
    ) -> ServiceResult<pb::SetSupplierItemResponse> {
        call(self.api.set_supplier_item(pb::SetSupplierItemRequest {
            request_id: new_id_string(),
            supplier_id: supplier_id.to_owned(),
            sku: sku.to_owned(),
            unit_cost_minor: 700,
            minimum_order_quantity: 10,
            case_pack: 6,
            preferred,
            drop_ship,
        }))
        .await
    }

    /// A drop-ship demand of `order_id` for `quantity` of `sku`, to
    /// [`ADDRESS`].
    pub async fn drop_ship_demand(&self, order_id: &str, sku: &str, quantity: i64) -> pb::Demand {
        call(
            self.api
                .add_demand(drop_ship_request(order_id, sku, quantity, ADDRESS)),
        )
        .await
        .expect("drop-ship demand")
        .demand
        .expect("demand")
    }

    pub async fn confirm(
        &self,
        id: &str,
        tracking_number: &str,
    ) -> ServiceResult<pb::PurchaseOrder> {
        call(
            self.api
                .confirm_drop_shipment(pb::ConfirmDropShipmentRequest {
                    request_id: new_id_string(),
                    purchase_order_id: id.to_owned(),
                    carrier: "UPS".to_owned(),
                    tracking_number: tracking_number.to_owned(),
                }),
        )
        .await
        .map(|r| r.purchase_order.unwrap_or_default())
    }

    pub async fn demand(&self, sku: &str, quantity: i64) -> pb::Demand {
        self.demand_of(&new_id_string(), sku, quantity).await
    }

    pub async fn demand_of(&self, order_id: &str, sku: &str, quantity: i64) -> pb::Demand {
        call(self.api.add_demand(demand_request(order_id, sku, quantity)))
            .await
            .expect("demand")
            .demand
            .expect("demand")
    }

    pub async fn release(&self, demand_id: &str) -> ServiceResult<pb::ReleaseDemandResponse> {
        call(self.api.release_demand(pb::ReleaseDemandRequest {
            request_id: new_id_string(),
            demand_id: demand_id.to_owned(),
        }))
        .await
    }

    pub async fn demands_of(&self, order_id: &str) -> Vec<pb::Demand> {
        call(self.api.list_demands(pb::ListDemandsRequest {
            order_id: order_id.to_owned(),
        }))
        .await
        .expect("demands")
        .demands
    }

    pub async fn po(&self, id: &str) -> pb::PurchaseOrder {
        call(self.api.get_purchase_order(pb::GetPurchaseOrderRequest {
            purchase_order_id: id.to_owned(),
        }))
        .await
        .expect("purchase order")
        .purchase_order
        .expect("purchase order")
    }

    pub async fn purchase_orders(&self, supplier_id: &str, status: i32) -> Vec<pb::PurchaseOrder> {
        call(
            self.api
                .list_purchase_orders(pb::ListPurchaseOrdersRequest {
                    supplier_id: supplier_id.to_owned(),
                    status,
                    page_size: 500,
                    page_token: String::new(),
                }),
        )
        .await
        .expect("list")
        .purchase_orders
    }

    pub async fn submit(&self, id: &str) -> ServiceResult<pb::PurchaseOrder> {
        call(
            self.api
                .submit_purchase_order(pb::SubmitPurchaseOrderRequest {
                    request_id: new_id_string(),
                    purchase_order_id: id.to_owned(),
                }),
        )
        .await
        .map(|r| r.purchase_order.unwrap_or_default())
    }

    pub async fn acknowledge(&self, id: &str, promised: i64) -> ServiceResult<pb::PurchaseOrder> {
        call(
            self.api
                .acknowledge_purchase_order(pb::AcknowledgePurchaseOrderRequest {
                    request_id: new_id_string(),
                    purchase_order_id: id.to_owned(),
                    promised_time: Some(to_timestamp(promised)),
                }),
        )
        .await
        .map(|r| r.purchase_order.unwrap_or_default())
    }

    pub async fn receive(
        &self,
        id: &str,
        lines: &[(&str, i64)],
    ) -> ServiceResult<pb::PurchaseOrder> {
        self.receive_at(id, lines, "").await
    }

    /// Receives `lines` at `warehouse` (empty: the default one).
    pub async fn receive_at(
        &self,
        id: &str,
        lines: &[(&str, i64)],
        warehouse: &str,
    ) -> ServiceResult<pb::PurchaseOrder> {
        call(
            self.api
                .receive_purchase_order(pb::ReceivePurchaseOrderRequest {
                    request_id: new_id_string(),
                    purchase_order_id: id.to_owned(),
                    lines: lines
                        .iter()
                        .map(|(sku, quantity)| pb::ReceiptLine {
                            sku: (*sku).to_owned(),
                            quantity: *quantity,
                        })
                        .collect(),
                    warehouse: warehouse.to_owned(),
                }),
        )
        .await
        .map(|r| r.purchase_order.unwrap_or_default())
    }

    /// Replenishes `sku` at `level` percent from `days` of history.
    pub async fn policy(&self, sku: &str, level: f64, days: i32) -> pb::ReplenishmentPolicy {
        call(
            self.api
                .set_replenishment_policy(pb::SetReplenishmentPolicyRequest {
                    request_id: new_id_string(),
                    policy: Some(pb::ReplenishmentPolicy {
                        sku: sku.to_owned(),
                        enabled: true,
                        service_level_percent: level,
                        history_days: days,
                    }),
                }),
        )
        .await
        .expect("policy")
        .policy
        .expect("policy")
    }

    pub async fn plan(&self, sku: &str) -> ServiceResult<pb::GetReplenishmentPlanResponse> {
        call(
            self.api
                .get_replenishment_plan(pb::GetReplenishmentPlanRequest {
                    sku: sku.to_owned(),
                }),
        )
        .await
    }

    pub async fn schedule(
        &self,
        supplier_id: &str,
        hours: i32,
    ) -> ServiceResult<pb::SetSupplierScheduleResponse> {
        call(
            self.api
                .set_supplier_schedule(pb::SetSupplierScheduleRequest {
                    request_id: new_id_string(),
                    supplier_id: supplier_id.to_owned(),
                    auto_submit_hours: hours,
                }),
        )
        .await
    }

    pub async fn cancel(&self, id: &str) -> ServiceResult<pb::PurchaseOrder> {
        call(
            self.api
                .cancel_purchase_order(pb::CancelPurchaseOrderRequest {
                    request_id: new_id_string(),
                    purchase_order_id: id.to_owned(),
                    reason: "supplier out of business".to_owned(),
                }),
        )
        .await
        .map(|r| r.purchase_order.unwrap_or_default())
    }
}

pub fn demand_request(order_id: &str, sku: &str, quantity: i64) -> pb::AddDemandRequest {
    pb::AddDemandRequest {
        request_id: new_id_string(),
        demand_id: new_id_string(),
        sku: sku.to_owned(),
        quantity,
        order_id: order_id.to_owned(),
        line_id: new_id_string(),
        drop_ship: false,
        ship_to_address: String::new(),
    }
}

pub fn drop_ship_request(
    order_id: &str,
    sku: &str,
    quantity: i64,
    address: &str,
) -> pb::AddDemandRequest {
    pb::AddDemandRequest {
        drop_ship: true,
        ship_to_address: address.to_owned(),
        ..demand_request(order_id, sku, quantity)
    }
}

pub fn code<T: std::fmt::Debug>(result: ServiceResult<T>) -> Code {
    result.expect_err("refused").code()
}

pub fn reason<T: std::fmt::Debug>(result: ServiceResult<T>) -> &'static str {
    match result.expect_err("refused") {
        ServiceError::FailedPrecondition { reason, .. } => reason,
        other => panic!("expected a failed precondition, got {other:?}"),
    }
}

/// The fields an `INVALID_ARGUMENT` names.
pub fn invalid_fields<T: std::fmt::Debug>(result: ServiceResult<T>) -> Vec<String> {
    match result.expect_err("refused") {
        ServiceError::InvalidArgument(v) => v.into_iter().map(|f| f.field).collect(),
        other => panic!("expected invalid argument, got {other:?}"),
    }
}

pub fn line<'a>(po: &'a pb::PurchaseOrder, sku: &str) -> &'a pb::PurchaseOrderLine {
    po.lines.iter().find(|l| l.sku == sku).expect("line")
}

/// A snapshot's lots as (purchase order, units, expected Unix ms,
/// confirmed), by purchase order.
pub fn lots(supply: &SetInboundSupplyRequest) -> Vec<(String, i64, i64, bool)> {
    let mut lots: Vec<_> = supply
        .lots
        .iter()
        .map(|l| {
            let expected = l.expected_time.as_ref().map(from_timestamp);
            (
                l.purchase_order_id.clone(),
                l.quantity,
                expected.expect("expected time"),
                l.confirmed,
            )
        })
        .collect();
    lots.sort();
    lots
}
