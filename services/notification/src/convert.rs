//! The wire and the inside: requests parsed into checked domain values (every
//! bad field named at once), stored rows turned into replies (a stored code
//! no version knows is refused, not guessed).

use backorder_platform::ids::Violations;
use backorder_platform::paging::PageRequest;
use backorder_platform::time::{to_timestamp, to_timestamp_opt};
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::notification::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{
    Channel, Contact, CustomerDetails, Event, MAX_DETAIL, MAX_NAME, MAX_SHIPPING_TEXT, Notice,
    UnknownCode, choose_channels, within_chars,
};
use crate::store::{customer, delivery, notification};

/// A checked `ListNotifications` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// Only this customer's.
    pub customer_id: Option<Uuid>,
    /// Only this order's.
    pub order_id: Option<Uuid>,
    /// Page size and position.
    pub page: PageRequest,
    /// The `(created_at, id)` of the last row of the previous page.
    pub after: Option<(i64, String)>,
}

fn check_length(v: &mut Violations, field: &str, value: &str, max: usize) {
    if !within_chars(value, max) {
        v.add(field, format!("must be at most {max} characters"));
    }
}

/// A violation was recorded for every field that did not parse, so a
/// missing value after [`Violations::finish`] succeeded is a bug here.
fn parsed<T>(value: Option<T>, field: &str) -> ServiceResult<T> {
    value.ok_or_else(|| ServiceError::Internal(format!("{field} unparsed without a violation")))
}

impl TryFrom<&pb::UpsertCustomerRequest> for CustomerDetails {
    type Error = ServiceError;

    fn try_from(req: &pb::UpsertCustomerRequest) -> ServiceResult<Self> {
        let Some(c) = &req.customer else {
            return Err(ServiceError::invalid("customer", "is required"));
        };
        let mut v = Violations::new();
        let id = v.uuid("customer.id", &c.id);
        let name = c.name.trim();
        check_length(&mut v, "customer.name", name, MAX_NAME);
        let contact = Contact {
            email: c.email.clone(),
            phone: c.phone.clone(),
            push_token: c.push_token.clone(),
        };
        let channels = match choose_channels(&c.channels, &contact) {
            Ok(chosen) => chosen,
            Err(problems) => {
                for p in problems {
                    v.add(format!("customer.{}", p.field), p.description);
                }
                Vec::new()
            }
        };
        v.finish()?;
        Ok(Self {
            id: parsed(id, "customer.id")?,
            name: name.to_owned(),
            contact,
            channels,
        })
    }
}

fn event(v: &mut Violations, code: i32) -> Option<Event> {
    match Event::try_from(code) {
        Ok(event) => Some(event),
        Err(_) if code == 0 => {
            v.add("event", "is required");
            None
        }
        Err(_) => {
            v.add("event", format!("{code} is not a known event"));
            None
        }
    }
}

fn parse_date(
    v: &mut Violations,
    field: &str,
    ts: Option<&prost_types::Timestamp>,
) -> Option<DateTime<Utc>> {
    let ts = ts?;
    // Protobuf's own range (years 1 to 9999), which every date library and
    // every peer can represent.
    let mut range = Violations::new();
    range.timestamp(field, ts);
    let at = range
        .finish()
        .ok()
        .and_then(|()| u32::try_from(ts.nanos).ok())
        .and_then(|nanos| DateTime::from_timestamp(ts.seconds, nanos));
    if at.is_none() {
        v.add(
            field,
            "must be a valid timestamp (years 1 to 9999, nanos 0 to 999999999)",
        );
    }
    at
}

impl TryFrom<&pb::NotifyRequest> for Notice {
    type Error = ServiceError;

    fn try_from(req: &pb::NotifyRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let id = v.uuid("request_id", &req.request_id);
        let customer_id = v.uuid("customer_id", &req.customer_id);
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = if req.line_id.is_empty() {
            Some(None)
        } else {
            v.uuid("line_id", &req.line_id).map(Some)
        };
        let event = event(&mut v, req.event);
        let eta = parse_date(&mut v, "eta", req.eta.as_ref());
        let eta_latest = parse_date(&mut v, "eta_latest", req.eta_latest.as_ref());
        if let (Some(from), Some(latest)) = (eta, eta_latest)
            && latest < from
        {
            v.add("eta_latest", "must not be before eta");
        }
        check_length(&mut v, "detail", &req.detail, MAX_DETAIL);
        check_length(
            &mut v,
            "tracking_number",
            &req.tracking_number,
            MAX_SHIPPING_TEXT,
        );
        check_length(&mut v, "carrier", &req.carrier, MAX_SHIPPING_TEXT);
        v.finish()?;
        Ok(Self {
            id: parsed(id, "request_id")?,
            customer_id: parsed(customer_id, "customer_id")?,
            order_id: parsed(order_id, "order_id")?,
            line_id: parsed(line_id, "line_id")?,
            event: parsed(event, "event")?,
            eta,
            eta_latest,
            tracking_number: req.tracking_number.clone(),
            carrier: req.carrier.clone(),
            detail: req.detail.clone(),
        })
    }
}

impl TryFrom<&pb::ListNotificationsRequest> for Listing {
    type Error = ServiceError;

    fn try_from(req: &pb::ListNotificationsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let customer_id =
            (!req.customer_id.is_empty()).then(|| v.uuid("customer_id", &req.customer_id));
        let order_id = (!req.order_id.is_empty()).then(|| v.uuid("order_id", &req.order_id));
        if customer_id.is_none() && order_id.is_none() {
            v.add(
                "customer_id",
                "set customer_id, order_id or both to choose whose notifications to list",
            );
        }
        v.finish()?;
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let after = match page.after.as_deref() {
            Some(key) => Some(
                key.split_once('|')
                    .and_then(|(at, id)| at.parse::<i64>().ok().map(|at| (at, id.to_owned())))
                    .ok_or_else(|| {
                        ServiceError::invalid("page_token", "is not a token of this list")
                    })?,
            ),
            None => None,
        };
        Ok(Self {
            customer_id: customer_id
                .map(|id| parsed(id, "customer_id"))
                .transpose()?,
            order_id: order_id.map(|id| parsed(id, "order_id")).transpose()?,
            page,
            after,
        })
    }
}

/// The page token key of a listed row.
pub fn page_key(row: &notification::Model) -> String {
    format!("{}|{}", row.created_at, row.id)
}

/// A stored row that holds a code no version knows: a fault of the stored
/// data, not of the caller.
pub(crate) fn corrupt(row: &str, error: UnknownCode) -> ServiceError {
    ServiceError::Internal(format!("{row}: {error}"))
}

/// The stored customer as the wire shows it.
pub fn customer_to_proto(customer: &customer::Model) -> ServiceResult<pb::Customer> {
    let channels = customer
        .channels()
        .map_err(|e| corrupt(&format!("customer {}", customer.id), e))?;
    Ok(pb::Customer {
        id: customer.id.clone(),
        name: customer.name.clone(),
        email: customer.email.clone(),
        phone: customer.phone.clone(),
        push_token: customer.push_token.clone(),
        channels: channels.into_iter().map(Channel::code).collect(),
        update_time: Some(to_timestamp(customer.updated_at)),
    })
}

fn delivery_to_proto(delivery: &delivery::Model) -> ServiceResult<pb::Delivery> {
    let row = || format!("delivery {}/{}", delivery.notification_id, delivery.channel);
    let channel = delivery.channel().map_err(|e| corrupt(&row(), e))?;
    let status = delivery.status().map_err(|e| corrupt(&row(), e))?;
    Ok(pb::Delivery {
        channel: channel.code(),
        status: status.code(),
        send_time: to_timestamp_opt(delivery.sent_at),
        error: delivery.error.clone().unwrap_or_default(),
    })
}

/// A stored notification and its deliveries as the wire shows them.
pub fn notification_to_proto(
    notification: &notification::Model,
    deliveries: &[delivery::Model],
) -> ServiceResult<pb::Notification> {
    let event = notification
        .event()
        .map_err(|e| corrupt(&format!("notification {}", notification.id), e))?;
    Ok(pb::Notification {
        id: notification.id.clone(),
        customer_id: notification.customer_id.clone(),
        order_id: notification.order_id.clone(),
        line_id: notification.line_id.clone(),
        event: event.code(),
        message: notification.message.clone(),
        deliveries: deliveries
            .iter()
            .map(delivery_to_proto)
            .collect::<ServiceResult<_>>()?,
        create_time: Some(to_timestamp(notification.created_at)),
    })
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_delay_offered_notice_is_accepted_with_its_dates() {
        let req = pb::NotifyRequest {
            request_id: Uuid::now_v7().to_string(),
            customer_id: Uuid::now_v7().to_string(),
            order_id: Uuid::now_v7().to_string(),
            line_id: Uuid::now_v7().to_string(),
            event: pb::NotificationEvent::DelayOffered as i32,
            eta: Some(prost_types::Timestamp {
                seconds: 1_796_083_200,
                nanos: 0,
            }),
            eta_latest: Some(prost_types::Timestamp {
                seconds: 1_796_256_000,
                nanos: 0,
            }),
            detail: "3 x LAMP-1: now expected 2026-12-01 (was 2026-11-20)".to_owned(),
            ..Default::default()
        };
        let notice = Notice::try_from(&req).expect("accepted");
        assert_eq!(notice.event, Event::DelayOffered);
        assert_eq!(notice.event.code(), req.event);
    }

    #[test]
    fn a_line_changed_notice_is_accepted_as_its_event() {
        let req = pb::NotifyRequest {
            request_id: Uuid::now_v7().to_string(),
            customer_id: Uuid::now_v7().to_string(),
            order_id: Uuid::now_v7().to_string(),
            line_id: Uuid::now_v7().to_string(),
            event: pb::NotificationEvent::LineChanged as i32,
            detail: "LAMP-9: 5 units now 3; 3 on backorder".to_owned(),
            ..Default::default()
        };
        let notice = Notice::try_from(&req).expect("accepted");
        assert_eq!(notice.event, Event::LineChanged);
        assert_eq!(notice.event.code(), req.event);
    }
}
