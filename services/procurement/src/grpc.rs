//! The tonic service: each RPC delegates to the handler of the same name,
//! and errors become statuses in procurement's error domain.

use backorder_proto::Peer;
use backorder_proto::procurement::v1 as pb;
use backorder_proto::procurement::v1::procurement_service_server::ProcurementService;

use crate::handlers::ProcurementApi;

backorder_platform::grpc_service! {
    ProcurementService => ProcurementApi as Peer::Procurement; {
        fn create_supplier(pb::CreateSupplierRequest) -> pb::CreateSupplierResponse;
        fn get_supplier(pb::GetSupplierRequest) -> pb::GetSupplierResponse;
        fn list_suppliers(pb::ListSuppliersRequest) -> pb::ListSuppliersResponse;
        fn get_supplier_performance(pb::GetSupplierPerformanceRequest) -> pb::GetSupplierPerformanceResponse;
        fn set_supplier_item(pb::SetSupplierItemRequest) -> pb::SetSupplierItemResponse;
        fn add_demand(pb::AddDemandRequest) -> pb::AddDemandResponse;
        fn release_demand(pb::ReleaseDemandRequest) -> pb::ReleaseDemandResponse;
        fn reduce_demand(pb::ReduceDemandRequest) -> pb::ReduceDemandResponse;
        fn list_demands(pb::ListDemandsRequest) -> pb::ListDemandsResponse;
        fn confirm_drop_shipment(pb::ConfirmDropShipmentRequest) -> pb::ConfirmDropShipmentResponse;
        fn set_replenishment_policy(pb::SetReplenishmentPolicyRequest) -> pb::SetReplenishmentPolicyResponse;
        fn get_replenishment_plan(pb::GetReplenishmentPlanRequest) -> pb::GetReplenishmentPlanResponse;
        fn set_supplier_schedule(pb::SetSupplierScheduleRequest) -> pb::SetSupplierScheduleResponse;
        fn get_purchase_order(pb::GetPurchaseOrderRequest) -> pb::GetPurchaseOrderResponse;
        fn list_purchase_orders(pb::ListPurchaseOrdersRequest) -> pb::ListPurchaseOrdersResponse;
        fn submit_purchase_order(pb::SubmitPurchaseOrderRequest) -> pb::SubmitPurchaseOrderResponse;
        fn acknowledge_purchase_order(pb::AcknowledgePurchaseOrderRequest) -> pb::AcknowledgePurchaseOrderResponse;
        fn receive_purchase_order(pb::ReceivePurchaseOrderRequest) -> pb::ReceivePurchaseOrderResponse;
        fn cancel_purchase_order(pb::CancelPurchaseOrderRequest) -> pb::CancelPurchaseOrderResponse;
    }
}
