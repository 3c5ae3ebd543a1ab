//! The tonic service: each RPC delegates to the handler of the same name,
//! errors mapped to statuses in the notification domain.

use backorder_platform::Peer;
use backorder_platform::access::Callers;
use backorder_proto::notification::v1 as pb;
use backorder_proto::notification::v1::notification_service_server::NotificationService;

use crate::handlers::NotificationApi;

backorder_platform::grpc_service! {
    NotificationService => NotificationApi as Peer::Notification; {
        fn upsert_customer(pb::UpsertCustomerRequest) -> pb::UpsertCustomerResponse, by Callers::OPERATOR.or(Callers::STOREFRONT);
        fn get_customer(pb::GetCustomerRequest) -> pb::GetCustomerResponse, by Callers::OPERATOR;
        fn notify(pb::NotifyRequest) -> pb::NotifyResponse, by Callers::ORDER;
        fn list_notifications(pb::ListNotificationsRequest) -> pb::ListNotificationsResponse, by Callers::ORDER.or(Callers::OPERATOR);
    }
}
