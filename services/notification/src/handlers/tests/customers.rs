use backorder_platform::ids::new_id_string;
use backorder_proto::notification::v1 as pb;
use tonic::Code;

use crate::domain::Channel;
use crate::test_support::Harness;

#[tokio::test]
async fn customers_are_validated_stored_and_read_back() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    let request = pb::UpsertCustomerRequest {
        request_id: new_id_string(),
        customer: Some(pb::Customer {
            id: customer_id.clone(),
            name: " Ana ".to_owned(),
            email: String::new(),
            phone: "+4915112345678".to_owned(),
            push_token: "tok-1".to_owned(),
            channels: vec![Channel::Push.code(), Channel::Sms.code()],
            update_time: None,
        }),
    };
    let stored = h
        .api
        .upsert_customer(request.clone())
        .await
        .expect("stored")
        .customer
        .expect("customer");
    assert_eq!(stored.name, "Ana");
    assert_eq!(
        stored.channels,
        vec![Channel::Sms.code(), Channel::Push.code()]
    );
    let replayed = h.api.upsert_customer(request).await.expect("replayed");
    assert_eq!(replayed.customer.as_ref(), Some(&stored));
    let read = h
        .api
        .get_customer(pb::GetCustomerRequest {
            customer_id: customer_id.clone(),
        })
        .await
        .expect("found")
        .customer
        .expect("customer");
    assert_eq!(read, stored);

    let missing = h
        .api
        .get_customer(pb::GetCustomerRequest {
            customer_id: new_id_string(),
        })
        .await
        .expect_err("unknown customer");
    assert_eq!(missing.code(), Code::NotFound);

    for (channels, email, phone) in [
        (vec![Channel::Sms.code()], "", ""),
        (vec![], "ana@example.com", ""),
        (vec![0], "ana@example.com", ""),
        (vec![Channel::Email.code()], "ana@example", ""),
    ] {
        let error = h
            .api
            .upsert_customer(pb::UpsertCustomerRequest {
                request_id: new_id_string(),
                customer: Some(pb::Customer {
                    id: customer_id.clone(),
                    name: "Ana".to_owned(),
                    email: email.to_owned(),
                    phone: phone.to_owned(),
                    push_token: String::new(),
                    channels,
                    update_time: None,
                }),
            })
            .await
            .expect_err("invalid customer");
        assert_eq!(error.code(), Code::InvalidArgument, "{error}");
    }
}

#[tokio::test]
async fn a_refused_upsert_leaves_its_request_id_free() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    let request = pb::UpsertCustomerRequest {
        request_id: new_id_string(),
        customer: Some(pb::Customer {
            id: customer_id.clone(),
            name: "Ana".to_owned(),
            email: "ana@example.com".to_owned(),
            channels: vec![Channel::Email.code()],
            ..Default::default()
        }),
    };
    let mut refused = request.clone();
    if let Some(c) = refused.customer.as_mut() {
        c.name = "x".repeat(crate::domain::MAX_NAME + 1);
    }
    let error = h
        .api
        .upsert_customer(refused)
        .await
        .expect_err("name too long");
    assert_eq!(error.code(), Code::InvalidArgument);
    // Nothing was stored under the id: the corrected request may use it.
    let stored = h.api.upsert_customer(request).await.expect("stored");
    assert_eq!(stored.customer.map(|c| c.id), Some(customer_id));
}
