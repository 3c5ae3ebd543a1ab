//! Paging while rows are added: every row that existed when paging began
//! is seen exactly once, and no row is seen twice.

use std::collections::BTreeSet;

use backorder_proto::inventory::v1 as inv;
use backorder_proto::order::v1 as ord;
use backorder_tests::{Suite, rid};

use crate::fixtures::*;

/// Checks the pages against the rows there were at the start.
fn assert_once_each(seen: &[String], before: &[String]) {
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row came twice: {seen:?}");
    for row in before {
        assert!(unique.contains(row), "{row} was skipped: {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_orders_while_orders_are_placed_skips_and_repeats_none() {
    let suite = Suite::start().await;
    product(&suite, "PAGE-1", inv::BackorderPolicy::Allow, 0).await;
    let customer_id = customer(&suite, "Pager").await;
    let mut before = Vec::new();
    for _ in 0..9 {
        before.push(place(&suite, &customer_id, &[("PAGE-1", 1)]).await.id);
    }
    let mut orders = suite.order().await;

    // New orders arrive between every two pages: newest first, so each one
    // lands ahead of the page already read and pushes the rest along.
    let mut seen = Vec::new();
    let mut page_token = String::new();
    let mut finished = false;
    for _ in 0..20 {
        let page = orders
            .list_orders(ord::ListOrdersRequest {
                customer_id: customer_id.clone(),
                page_size: 2,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .expect("a page")
            .into_inner();
        seen.extend(page.orders.into_iter().map(|o| o.id));
        if page.next_page_token.is_empty() {
            finished = true;
            break;
        }
        page_token = page.next_page_token;
        place(&suite, &customer_id, &[("PAGE-1", 1)]).await;
    }

    assert!(finished, "paging ends: {seen:?}");
    assert_once_each(&seen, &before);
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_products_while_products_are_created_skips_and_repeats_none() {
    let suite = Suite::start().await;
    let mut before = Vec::new();
    for i in 1..=10 {
        let sku = format!("P-{:03}", i * 10);
        product(&suite, &sku, inv::BackorderPolicy::Deny, 0).await;
        before.push(sku);
    }
    let mut inventory = suite.inventory().await;

    // Between every two pages, a SKU that sorts before every page (P-00x)
    // and one that sorts among the pages still to come (P-09x).
    let mut seen = Vec::new();
    let mut page_token = String::new();
    let mut finished = false;
    for created in 0..20 {
        let page = inventory
            .list_products(inv::ListProductsRequest {
                page_size: 3,
                page_token: page_token.clone(),
            })
            .await
            .expect("a page")
            .into_inner();
        seen.extend(page.products.into_iter().map(|p| p.sku));
        if page.next_page_token.is_empty() {
            finished = true;
            break;
        }
        page_token = page.next_page_token;
        for sku in [format!("P-00{created}"), format!("P-{:03}", 95 - created)] {
            inventory
                .create_product(inv::CreateProductRequest {
                    request_id: rid(),
                    sku,
                    name: "added while paging".into(),
                    backorder_policy: inv::BackorderPolicy::Deny as i32,
                    backorder_cap: 0,
                    price_minor: 0,
                    inbound_margin: 0,
                })
                .await
                .expect("create product");
        }
    }

    assert!(finished, "paging ends: {seen:?}");
    assert_once_each(&seen, &before);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "by SKU");
}
