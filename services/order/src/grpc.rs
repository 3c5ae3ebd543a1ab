//! The tonic service: each RPC delegates to the handler of the same name;
//! errors become statuses in the order service's error domain.

use backorder_platform::access::Callers;
use backorder_proto::Peer;
use backorder_proto::order::v1 as pb;
use backorder_proto::order::v1::order_service_server::OrderService;

use crate::handlers::OrderApi;

backorder_platform::grpc_service! {
    OrderService => OrderApi as Peer::Order; {
        fn place_order(pb::PlaceOrderRequest) -> pb::PlaceOrderResponse, by Callers::OPERATOR.or(Callers::STOREFRONT);
        fn get_order(pb::GetOrderRequest) -> pb::GetOrderResponse, by Callers::OPERATOR.or(Callers::STOREFRONT).or(Callers::WAREHOUSE);
        fn list_orders(pb::ListOrdersRequest) -> pb::ListOrdersResponse, by Callers::OPERATOR.or(Callers::STOREFRONT).or(Callers::WAREHOUSE);
        fn cancel_order(pb::CancelOrderRequest) -> pb::CancelOrderResponse, by Callers::OPERATOR.or(Callers::STOREFRONT);
        fn cancel_order_line(pb::CancelOrderLineRequest) -> pb::CancelOrderLineResponse, by Callers::OPERATOR.or(Callers::STOREFRONT);
        fn create_shipment(pb::CreateShipmentRequest) -> pb::CreateShipmentResponse, by Callers::OPERATOR.or(Callers::WAREHOUSE);
        fn create_bundled_shipment(pb::CreateBundledShipmentRequest) -> pb::CreateBundledShipmentResponse, by Callers::OPERATOR.or(Callers::WAREHOUSE);
        fn get_fulfilment_settings(pb::GetFulfilmentSettingsRequest) -> pb::GetFulfilmentSettingsResponse, by Callers::OPERATOR.or(Callers::STOREFRONT).or(Callers::WAREHOUSE);
        fn mark_delivered(pb::MarkDeliveredRequest) -> pb::MarkDeliveredResponse, by Callers::OPERATOR.or(Callers::WAREHOUSE);
        fn mark_line_allocated(pb::MarkLineAllocatedRequest) -> pb::MarkLineAllocatedResponse, by Callers::INVENTORY;
        fn record_drop_shipment(pb::RecordDropShipmentRequest) -> pb::RecordDropShipmentResponse, by Callers::PROCUREMENT;
        fn update_line_eta(pb::UpdateLineEtaRequest) -> pb::UpdateLineEtaResponse, by Callers::INVENTORY.or(Callers::PROCUREMENT);
        fn get_order_timeline(pb::GetOrderTimelineRequest) -> pb::GetOrderTimelineResponse, by Callers::OPERATOR.or(Callers::STOREFRONT);
        fn get_backorder_stats(pb::GetBackorderStatsRequest) -> pb::GetBackorderStatsResponse, by Callers::OPERATOR;
        fn answer_delay(pb::AnswerDelayRequest) -> pb::AnswerDelayResponse, by Callers::OPERATOR.or(Callers::STOREFRONT);
        fn change_order_line(pb::ChangeOrderLineRequest) -> pb::ChangeOrderLineResponse, by Callers::OPERATOR.or(Callers::STOREFRONT);
    }
}
