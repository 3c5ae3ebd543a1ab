use backorder_platform::ServiceError;
use backorder_platform::ids::new_id_string;
use backorder_platform::store::idempotency_record;
use backorder_proto::notification::v1 as pb;
use sea_orm::EntityTrait;
use tonic::Code;

use crate::domain::{Channel, DeliveryStatus, Event, MAX_DETAIL};
use crate::store::{customer, queries};
use crate::test_support::{Harness, notify_request};

fn fields(error: &ServiceError) -> Vec<String> {
    match error {
        ServiceError::InvalidArgument(violations) => {
            violations.iter().map(|v| v.field.clone()).collect()
        }
        other => panic!("expected invalid argument, got {other:?}"),
    }
}

#[tokio::test]
async fn notify_delivers_once_per_channel_and_repeats_send_nothing() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    h.add_customer(&customer_id, &[Channel::Email, Channel::Sms])
        .await;
    let req = notify_request(&customer_id, &new_id_string(), Event::Backordered);
    let first = h
        .api
        .notify(req.clone())
        .await
        .expect("notified")
        .notification
        .expect("notification");
    assert_eq!(first.id, req.request_id);
    assert!(first.message.contains("2026-12-01"), "{}", first.message);
    assert_eq!(first.deliveries.len(), 2);
    for d in &first.deliveries {
        assert_eq!(d.status, DeliveryStatus::Sent.code());
        assert!(d.send_time.is_some());
    }
    let emails = h.lines(Channel::Email).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["to"], "ana@example.com");
    assert_eq!(emails[0]["event"], "backordered");
    assert_eq!(emails[0]["notification_id"], req.request_id.as_str());
    assert_eq!(h.lines(Channel::Sms).await.len(), 1);

    let again = h
        .api
        .notify(req.clone())
        .await
        .expect("replayed")
        .notification
        .expect("notification");
    assert_eq!(again, first, "the repeat returns the stored notification");
    assert_eq!(h.lines(Channel::Email).await.len(), 1, "nothing sent twice");
    assert_eq!(h.lines(Channel::Sms).await.len(), 1, "nothing sent twice");

    let mut other = req.clone();
    other.detail = "something else".to_owned();
    let error = h.api.notify(other).await.expect_err("request id reused");
    assert_eq!(error.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn a_redelivery_after_the_stored_answer_expired_sends_nothing() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    h.add_customer(&customer_id, &[Channel::Email]).await;
    let req = notify_request(&customer_id, &new_id_string(), Event::Ready);
    let first = h.api.notify(req.clone()).await.expect("notified");
    // Stored answers are purged after a day; the notification stays.
    idempotency_record::Entity::delete_many()
        .exec(h.db())
        .await
        .expect("answers purged");
    let again = h.api.notify(req.clone()).await.expect("answered again");
    assert_eq!(again, first);
    assert_eq!(h.lines(Channel::Email).await.len(), 1, "nothing sent twice");

    idempotency_record::Entity::delete_many()
        .exec(h.db())
        .await
        .expect("answers purged");
    let mut other_event = req;
    other_event.event = Event::Cancelled.code();
    let error = h
        .api
        .notify(other_event)
        .await
        .expect_err("the id names another event");
    assert_eq!(error.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn a_detail_is_limited_in_characters_not_bytes() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    h.add_customer(&customer_id, &[Channel::Email]).await;
    // Three bytes per character in UTF-8: 3,000 bytes, 1,000 characters.
    let longest = "€".repeat(MAX_DETAIL);
    let mut req = notify_request(&customer_id, &new_id_string(), Event::OrderConfirmed);
    req.detail = longest.clone();
    let n = h
        .api
        .notify(req)
        .await
        .expect("1,000 characters are accepted")
        .notification
        .expect("notification");
    assert!(n.message.contains(&longest), "the whole detail is kept");
    assert_eq!(n.deliveries[0].status, DeliveryStatus::Sent.code());

    let mut req = notify_request(&customer_id, &new_id_string(), Event::OrderConfirmed);
    req.detail = format!("{longest}€");
    let error = h.api.notify(req).await.expect_err("1,001 characters");
    assert_eq!(fields(&error), vec!["detail"]);
    assert!(
        error.to_string().contains("at most 1000 characters"),
        "{error}"
    );
}

#[tokio::test]
async fn unknown_customer_gets_a_notification_without_deliveries() {
    let h = Harness::new().await;
    let order_id = new_id_string();
    let response = h
        .api
        .notify(notify_request(
            &new_id_string(),
            &order_id,
            Event::OrderConfirmed,
        ))
        .await
        .expect("notified")
        .notification
        .expect("notification");
    assert!(response.deliveries.is_empty());
    assert!(
        response.message.starts_with("Hello, "),
        "{}",
        response.message
    );
    let listed = h
        .api
        .list_notifications(pb::ListNotificationsRequest {
            order_id,
            ..Default::default()
        })
        .await
        .expect("listed");
    assert_eq!(listed.notifications, vec![response]);
}

#[tokio::test]
async fn a_channel_without_its_address_fails_the_delivery() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    let stored = h.add_customer(&customer_id, &[Channel::Email]).await;
    assert_eq!(stored.channels, vec![Channel::Email.code()]);
    // The push token is gone but PUSH is still stored as chosen (as if
    // written by an older version): the delivery fails, visibly.
    queries::upsert_customer(
        h.db(),
        customer::Model {
            id: customer_id.clone(),
            name: "Ana".to_owned(),
            email: "ana@example.com".to_owned(),
            phone: String::new(),
            push_token: String::new(),
            channels: "1,3".to_owned(),
            updated_at: 0,
        },
    )
    .await
    .expect("stored");
    let n = h
        .api
        .notify(notify_request(
            &customer_id,
            &new_id_string(),
            Event::Cancelled,
        ))
        .await
        .expect("notified")
        .notification
        .expect("notification");
    let statuses: Vec<(i32, i32)> = n.deliveries.iter().map(|d| (d.channel, d.status)).collect();
    assert_eq!(
        statuses,
        vec![
            (Channel::Email.code(), DeliveryStatus::Sent.code()),
            (Channel::Push.code(), DeliveryStatus::Failed.code()),
        ]
    );
    assert!(n.deliveries[1].error.contains("push_token"));
}

#[tokio::test]
async fn notify_and_list_refuse_malformed_requests() {
    let h = Harness::new().await;
    let mut req = notify_request(&new_id_string(), &new_id_string(), Event::Ready);
    req.event = 0;
    req.line_id = "not-a-uuid".to_owned();
    let error = h.api.notify(req).await.expect_err("malformed");
    assert_eq!(fields(&error), vec!["line_id", "event"]);

    let mut req = notify_request(&new_id_string(), &new_id_string(), Event::Ready);
    req.event = 42;
    req.eta = Some(prost_types::Timestamp {
        seconds: i64::MAX / 1000,
        nanos: 0,
    });
    req.carrier = "c".repeat(101);
    let error = h.api.notify(req).await.expect_err("malformed");
    assert_eq!(fields(&error), vec!["event", "eta", "carrier"]);
    assert!(
        error.to_string().contains("42 is not a known event"),
        "{error}"
    );

    let error = h
        .api
        .list_notifications(pb::ListNotificationsRequest::default())
        .await
        .expect_err("no filter");
    assert_eq!(error.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn the_grpc_service_serves_the_handlers() {
    use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
    use backorder_proto::notification::v1::notification_service_server::NotificationServiceServer;
    use std::time::Duration;
    use tonic::transport::Server;
    use tonic::transport::server::TcpIncoming;
    use tonic_types::StatusExt;

    let h = Harness::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let server = tokio::spawn(
        Server::builder()
            .add_service(NotificationServiceServer::new(h.api.clone()))
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    let mut client = NotificationServiceClient::connect(format!("http://{address}"))
        .await
        .expect("connected");
    let customer_id = new_id_string();
    h.add_customer(&customer_id, &[Channel::Email]).await;
    let mut request = tonic::Request::new(notify_request(
        &customer_id,
        &new_id_string(),
        Event::EtaKnown,
    ));
    request.set_timeout(Duration::from_secs(10));
    let n = client
        .notify(request)
        .await
        .expect("notified over gRPC")
        .into_inner()
        .notification
        .expect("notification");
    assert_eq!(n.deliveries.len(), 1);
    assert_eq!(n.deliveries[0].status, DeliveryStatus::Sent.code());
    let mut request = tonic::Request::new(pb::GetCustomerRequest {
        customer_id: "nope".to_owned(),
    });
    request.set_timeout(Duration::from_secs(10));
    let status = client
        .get_customer(request)
        .await
        .expect_err("malformed id");
    assert_eq!(status.code(), Code::InvalidArgument);
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(info.domain, "notification.backorder");
    server.abort();
}

#[tokio::test]
async fn notifications_are_listed_oldest_first_in_pages() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    let order_id = new_id_string();
    let mut ids = Vec::new();
    for event in [Event::OrderConfirmed, Event::Backordered, Event::Ready] {
        let req = notify_request(&customer_id, &order_id, event);
        ids.push(req.request_id.clone());
        h.api.notify(req).await.expect("notified");
    }
    // Another order of the same customer.
    h.api
        .notify(notify_request(
            &customer_id,
            &new_id_string(),
            Event::Shipped,
        ))
        .await
        .expect("notified");
    let first = h
        .api
        .list_notifications(pb::ListNotificationsRequest {
            customer_id: customer_id.clone(),
            order_id: order_id.clone(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .expect("first page");
    let listed = |page: &pb::ListNotificationsResponse| -> Vec<String> {
        page.notifications.iter().map(|n| n.id.clone()).collect()
    };
    assert_eq!(listed(&first), ids[..2].to_vec());
    assert!(!first.next_page_token.is_empty());
    let second = h
        .api
        .list_notifications(pb::ListNotificationsRequest {
            customer_id: customer_id.clone(),
            order_id,
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await
        .expect("second page");
    assert_eq!(listed(&second), ids[2..].to_vec());
    assert!(second.next_page_token.is_empty());
    let all_of_customer = h
        .api
        .list_notifications(pb::ListNotificationsRequest {
            customer_id,
            ..Default::default()
        })
        .await
        .expect("customer's");
    assert_eq!(all_of_customer.notifications.len(), 4);
}
