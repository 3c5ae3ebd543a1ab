//! CreateBundledShipment: one parcel for several open orders of one
//! customer to one address. Each order gets its own shipment (its parcel
//! count, its lines, its customer notice), all under one bundle id and
//! tracking number; delivering any of them delivers the parcel.

use backorder_platform::ids::new_id;
use backorder_platform::unit_of_work::Work;
use backorder_platform::warehouse::WarehouseCode;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;
use tracing::Instrument;

use super::shipping::{Parcel, refusal, ship};
use super::{OrderApi, load_order, span_in_sale_trace, view};
use crate::convert::views;
use crate::domain::commands::NewBundle;
use crate::domain::lifecycle::{self, Dispatch, Shippable};
use crate::domain::warehouses::choose_warehouse;
use crate::domain::{Line, Order};
use crate::store::queries;

impl OrderApi {
    /// The `CreateBundledShipment` RPC.
    pub async fn create_bundled_shipment(
        &self,
        req: pb::CreateBundledShipmentRequest,
    ) -> ServiceResult<pb::CreateBundledShipmentResponse> {
        let bundle = NewBundle::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    // Locked in id order, so bundles sharing orders never
                    // deadlock; answered in the order named.
                    let mut by_id = bundle.order_ids.clone();
                    by_id.sort();
                    let mut orders: Vec<(Order, Vec<Line>)> = Vec::with_capacity(by_id.len());
                    for order_id in by_id {
                        orders.push(load_order(work.db(), order_id, true).await?);
                    }
                    check_one_destination(&orders)?;
                    let mut dispatches = Vec::with_capacity(orders.len());
                    for (order, lines) in &orders {
                        dispatches.push(dispatch(work, order, lines).await?);
                    }
                    let warehouse = match bundle.warehouse {
                        Some(warehouse) => warehouse,
                        None => most_held(&orders, &dispatches).ok_or_else(|| {
                            ServiceError::precondition(
                                "NOTHING_TO_SHIP",
                                "none of the bundled orders has a line ready to ship",
                            )
                        })?,
                    };
                    let mut plans = Vec::with_capacity(orders.len());
                    for ((order, lines), dispatch) in orders.iter().zip(&dispatches) {
                        let shippable: Vec<Shippable> = lines.iter().map(Shippable::from).collect();
                        plans.push(
                            dispatch
                                .take_from(&shippable, &warehouse)
                                .map_err(|r| refusal(order.id, lines, r))?,
                        );
                    }
                    let parcel = Parcel {
                        tracking_number: bundle.tracking_number,
                        carrier: bundle.carrier,
                        bundle_id: Some(new_id()),
                        warehouse,
                    };
                    let mut shipped = Vec::with_capacity(orders.len());
                    for ((mut order, mut lines), chosen) in orders.into_iter().zip(plans) {
                        let span = span_in_sale_trace("ship order lines in a bundle", &order);
                        let shipment = ship(work, &mut order, &mut lines, &chosen, &parcel)
                            .instrument(span)
                            .await?;
                        shipped.push((order, lines, shipment));
                    }
                    let bundle_id = parcel
                        .bundle_id
                        .map(|id| id.to_string())
                        .unwrap_or_default();
                    work.set_resource(bundle_id.clone());
                    let mut response = pb::CreateBundledShipmentResponse {
                        bundle_id,
                        ..Default::default()
                    };
                    for order_id in &bundle.order_ids {
                        let Some((order, lines, shipment)) =
                            shipped.iter().find(|(o, _, _)| o.id == *order_id)
                        else {
                            continue;
                        };
                        response.shipments.push(views::shipment_to_proto(shipment));
                        response.orders.push(view(work.db(), order, lines).await?);
                    }
                    Ok(response)
                })
            })
            .await
    }
}

/// What a parcel may take of a locked order, by its ship policy and its
/// earlier parcels, wherever the units are.
async fn dispatch(work: &Work, order: &Order, lines: &[Line]) -> ServiceResult<Dispatch> {
    let shipped_parcels = queries::count_parcels(work.db(), order.id).await?;
    let shippable: Vec<Shippable> = lines.iter().map(Shippable::from).collect();
    lifecycle::dispatch(order.ship_policy, shipped_parcels, &shippable, None)
        .map_err(|r| refusal(order.id, lines, r))
}

/// The warehouse holding the most ready units of what the orders may ship
/// (ties by code); `None` when they hold none.
fn most_held(orders: &[(Order, Vec<Line>)], dispatches: &[Dispatch]) -> Option<WarehouseCode> {
    choose_warehouse(
        orders
            .iter()
            .zip(dispatches)
            .flat_map(|((_, lines), dispatch)| {
                dispatch
                    .candidates()
                    .iter()
                    .filter_map(|i| lines.get(*i))
                    .map(|l| &l.ready_in)
            }),
    )
}

/// One parcel goes to one customer at one address.
fn check_one_destination(orders: &[(Order, Vec<Line>)]) -> ServiceResult<()> {
    let Some(((first, _), rest)) = orders.split_first() else {
        return Ok(());
    };
    for (order, _) in rest {
        if order.customer_id != first.customer_id {
            return Err(ServiceError::precondition(
                "BUNDLE_CUSTOMERS_DIFFER",
                format!(
                    "orders {} and {} belong to different customers; a parcel goes to one customer",
                    first.id, order.id
                ),
            ));
        }
        // Addresses stay out of the message: it may be logged by a caller.
        if order.ship_to_address != first.ship_to_address {
            return Err(ServiceError::precondition(
                "BUNDLE_ADDRESSES_DIFFER",
                format!(
                    "orders {} and {} ship to different addresses; a parcel goes to one address",
                    first.id, order.id
                ),
            ));
        }
    }
    Ok(())
}
