//! The tonic service: each RPC delegates to its handler, and errors become
//! statuses in inventory's error domain.

use backorder_platform::Peer;
use backorder_platform::access::Callers;
use backorder_proto::inventory::v1 as pb;
use backorder_proto::inventory::v1::inventory_service_server::InventoryService;

use crate::handlers::InventoryApi;

backorder_platform::grpc_service! {
    InventoryService => InventoryApi as Peer::Inventory; {
        fn create_product(pb::CreateProductRequest) -> pb::CreateProductResponse, by Callers::OPERATOR;
        fn get_product(pb::GetProductRequest) -> pb::GetProductResponse, by Callers::OPERATOR.or(Callers::STOREFRONT).or(Callers::WAREHOUSE);
        fn list_products(pb::ListProductsRequest) -> pb::ListProductsResponse, by Callers::OPERATOR.or(Callers::STOREFRONT).or(Callers::WAREHOUSE);
        fn adjust_stock(pb::AdjustStockRequest) -> pb::AdjustStockResponse, by Callers::OPERATOR;
        fn reserve_order(pb::ReserveOrderRequest) -> pb::ReserveOrderResponse, by Callers::ORDER;
        fn receive_stock(pb::ReceiveStockRequest) -> pb::ReceiveStockResponse, by Callers::PROCUREMENT;
        fn issue_stock(pb::IssueStockRequest) -> pb::IssueStockResponse, by Callers::ORDER;
        fn release_reservation(pb::ReleaseReservationRequest) -> pb::ReleaseReservationResponse, by Callers::ORDER;
        fn list_reservations(pb::ListReservationsRequest) -> pb::ListReservationsResponse, by Callers::ORDER.or(Callers::OPERATOR).or(Callers::WAREHOUSE);
        fn list_backlog(pb::ListBacklogRequest) -> pb::ListBacklogResponse, by Callers::OPERATOR;
        fn set_backorder_priority(pb::SetBackorderPriorityRequest) -> pb::SetBackorderPriorityResponse, by Callers::OPERATOR;
        fn create_warehouse(pb::CreateWarehouseRequest) -> pb::CreateWarehouseResponse, by Callers::OPERATOR;
        fn list_warehouses(pb::ListWarehousesRequest) -> pb::ListWarehousesResponse, by Callers::OPERATOR.or(Callers::WAREHOUSE);
        fn set_drop_ship(pb::SetDropShipRequest) -> pb::SetDropShipResponse, by Callers::PROCUREMENT;
        fn get_demand_history(pb::GetDemandHistoryRequest) -> pb::GetDemandHistoryResponse, by Callers::PROCUREMENT.or(Callers::OPERATOR);
        fn set_inbound_supply(pb::SetInboundSupplyRequest) -> pb::SetInboundSupplyResponse, by Callers::PROCUREMENT;
        fn change_reservation(pb::ChangeReservationRequest) -> pb::ChangeReservationResponse, by Callers::ORDER;
    }
}
