//! The tonic service: each RPC delegates to the handler of the same name;
//! errors become statuses in the order service's error domain.

use backorder_proto::Peer;
use backorder_proto::order::v1 as pb;
use backorder_proto::order::v1::order_service_server::OrderService;

use crate::handlers::OrderApi;

backorder_platform::grpc_service! {
    OrderService => OrderApi as Peer::Order; {
        fn place_order(pb::PlaceOrderRequest) -> pb::PlaceOrderResponse;
        fn get_order(pb::GetOrderRequest) -> pb::GetOrderResponse;
        fn list_orders(pb::ListOrdersRequest) -> pb::ListOrdersResponse;
        fn cancel_order(pb::CancelOrderRequest) -> pb::CancelOrderResponse;
        fn cancel_order_line(pb::CancelOrderLineRequest) -> pb::CancelOrderLineResponse;
        fn create_shipment(pb::CreateShipmentRequest) -> pb::CreateShipmentResponse;
        fn create_bundled_shipment(pb::CreateBundledShipmentRequest) -> pb::CreateBundledShipmentResponse;
        fn get_fulfilment_settings(pb::GetFulfilmentSettingsRequest) -> pb::GetFulfilmentSettingsResponse;
        fn mark_delivered(pb::MarkDeliveredRequest) -> pb::MarkDeliveredResponse;
        fn mark_line_allocated(pb::MarkLineAllocatedRequest) -> pb::MarkLineAllocatedResponse;
        fn record_drop_shipment(pb::RecordDropShipmentRequest) -> pb::RecordDropShipmentResponse;
        fn update_line_eta(pb::UpdateLineEtaRequest) -> pb::UpdateLineEtaResponse;
        fn get_order_timeline(pb::GetOrderTimelineRequest) -> pb::GetOrderTimelineResponse;
        fn get_backorder_stats(pb::GetBackorderStatsRequest) -> pb::GetBackorderStatsResponse;
        fn answer_delay(pb::AnswerDelayRequest) -> pb::AnswerDelayResponse;
        fn change_order_line(pb::ChangeOrderLineRequest) -> pb::ChangeOrderLineResponse;
    }
}
