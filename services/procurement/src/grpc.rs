//! The tonic service: each RPC delegates to the handler of the same name,
//! and errors become statuses in procurement's error domain.

use backorder_platform::access::Callers;
use backorder_proto::Peer;
use backorder_proto::procurement::v1 as pb;
use backorder_proto::procurement::v1::procurement_service_server::ProcurementService;

use crate::handlers::ProcurementApi;

backorder_platform::grpc_service! {
    ProcurementService => ProcurementApi as Peer::Procurement; {
        fn create_supplier(pb::CreateSupplierRequest) -> pb::CreateSupplierResponse, by Callers::OPERATOR;
        fn get_supplier(pb::GetSupplierRequest) -> pb::GetSupplierResponse, by Callers::OPERATOR;
        fn list_suppliers(pb::ListSuppliersRequest) -> pb::ListSuppliersResponse, by Callers::OPERATOR;
        fn get_supplier_performance(pb::GetSupplierPerformanceRequest) -> pb::GetSupplierPerformanceResponse, by Callers::OPERATOR;
        fn set_supplier_item(pb::SetSupplierItemRequest) -> pb::SetSupplierItemResponse, by Callers::OPERATOR;
        fn add_demand(pb::AddDemandRequest) -> pb::AddDemandResponse, by Callers::INVENTORY;
        fn release_demand(pb::ReleaseDemandRequest) -> pb::ReleaseDemandResponse, by Callers::INVENTORY;
        fn reduce_demand(pb::ReduceDemandRequest) -> pb::ReduceDemandResponse, by Callers::INVENTORY;
        fn list_demands(pb::ListDemandsRequest) -> pb::ListDemandsResponse, by Callers::ORDER.or(Callers::OPERATOR);
        fn confirm_drop_shipment(pb::ConfirmDropShipmentRequest) -> pb::ConfirmDropShipmentResponse, by Callers::OPERATOR.or(Callers::SUPPLIER);
        fn set_replenishment_policy(pb::SetReplenishmentPolicyRequest) -> pb::SetReplenishmentPolicyResponse, by Callers::OPERATOR;
        fn get_replenishment_plan(pb::GetReplenishmentPlanRequest) -> pb::GetReplenishmentPlanResponse, by Callers::OPERATOR;
        fn set_supplier_schedule(pb::SetSupplierScheduleRequest) -> pb::SetSupplierScheduleResponse, by Callers::OPERATOR;
        fn get_purchase_order(pb::GetPurchaseOrderRequest) -> pb::GetPurchaseOrderResponse, by Callers::OPERATOR.or(Callers::WAREHOUSE).or(Callers::SUPPLIER);
        fn list_purchase_orders(pb::ListPurchaseOrdersRequest) -> pb::ListPurchaseOrdersResponse, by Callers::OPERATOR.or(Callers::WAREHOUSE).or(Callers::SUPPLIER);
        fn submit_purchase_order(pb::SubmitPurchaseOrderRequest) -> pb::SubmitPurchaseOrderResponse, by Callers::OPERATOR;
        fn acknowledge_purchase_order(pb::AcknowledgePurchaseOrderRequest) -> pb::AcknowledgePurchaseOrderResponse, by Callers::OPERATOR.or(Callers::SUPPLIER);
        fn receive_purchase_order(pb::ReceivePurchaseOrderRequest) -> pb::ReceivePurchaseOrderResponse, by Callers::OPERATOR.or(Callers::WAREHOUSE);
        fn cancel_purchase_order(pb::CancelPurchaseOrderRequest) -> pb::CancelPurchaseOrderResponse, by Callers::OPERATOR;
    }
}
