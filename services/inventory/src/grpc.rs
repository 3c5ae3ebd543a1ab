//! The tonic service: each RPC delegates to its handler, and errors become
//! statuses in inventory's error domain.

use backorder_platform::Peer;
use backorder_proto::inventory::v1 as pb;
use backorder_proto::inventory::v1::inventory_service_server::InventoryService;

use crate::handlers::InventoryApi;

backorder_platform::grpc_service! {
    InventoryService => InventoryApi as Peer::Inventory; {
        fn create_product(pb::CreateProductRequest) -> pb::CreateProductResponse;
        fn get_product(pb::GetProductRequest) -> pb::GetProductResponse;
        fn list_products(pb::ListProductsRequest) -> pb::ListProductsResponse;
        fn adjust_stock(pb::AdjustStockRequest) -> pb::AdjustStockResponse;
        fn reserve_order(pb::ReserveOrderRequest) -> pb::ReserveOrderResponse;
        fn receive_stock(pb::ReceiveStockRequest) -> pb::ReceiveStockResponse;
        fn issue_stock(pb::IssueStockRequest) -> pb::IssueStockResponse;
        fn release_reservation(pb::ReleaseReservationRequest) -> pb::ReleaseReservationResponse;
        fn list_reservations(pb::ListReservationsRequest) -> pb::ListReservationsResponse;
        fn list_backlog(pb::ListBacklogRequest) -> pb::ListBacklogResponse;
        fn set_backorder_priority(pb::SetBackorderPriorityRequest) -> pb::SetBackorderPriorityResponse;
        fn create_warehouse(pb::CreateWarehouseRequest) -> pb::CreateWarehouseResponse;
        fn list_warehouses(pb::ListWarehousesRequest) -> pb::ListWarehousesResponse;
        fn set_drop_ship(pb::SetDropShipRequest) -> pb::SetDropShipResponse;
        fn get_demand_history(pb::GetDemandHistoryRequest) -> pb::GetDemandHistoryResponse;
        fn set_inbound_supply(pb::SetInboundSupplyRequest) -> pb::SetInboundSupplyResponse;
        fn change_reservation(pb::ChangeReservationRequest) -> pb::ChangeReservationResponse;
    }
}
