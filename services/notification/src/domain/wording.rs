//! Everything the customer reads: subject lines and message texts, in one
//! place so wording changes touch one file.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Event;

/// E-mail subject line of `event`.
pub fn subject(event: Event) -> &'static str {
    match event {
        Event::OrderConfirmed => "Your order is confirmed",
        Event::Backordered => "An item of your order is on backorder",
        Event::EtaKnown => "We know when your item arrives",
        Event::EtaChanged => "The arrival date of your item changed",
        Event::Ready => "Your item is ready to ship",
        Event::Shipped => "Your order has shipped",
        Event::Delivered => "Your order was delivered",
        Event::Cancelled => "Your order was cancelled",
    }
}

/// Everything a message about one event may mention. Empty text and `None`
/// mean "not known"; the message then leaves that part out.
#[derive(Clone, Copy, Debug)]
pub struct MessageFacts<'a> {
    /// What happened.
    pub event: Event,
    /// Customer's name; empty when the customer is not known yet.
    pub customer_name: &'a str,
    /// Order id.
    pub order_id: Option<Uuid>,
    /// Whether the event is about one line rather than the whole order.
    pub about_line: bool,
    /// Free text (SKU, quantities, reason).
    pub detail: &'a str,
    /// Expected arrival.
    pub eta: Option<DateTime<Utc>>,
    /// Tracking number.
    pub tracking_number: &'a str,
    /// Carrier.
    pub carrier: &'a str,
}

/// A date as customers see it: its UTC calendar day, `YYYY-MM-DD`.
pub fn format_date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The text sent to the customer about one event. Parts that are not known
/// are left out, never shown as blanks.
pub fn render_message(facts: &MessageFacts<'_>) -> String {
    let name = facts.customer_name.trim();
    let greeting = if name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {name},")
    };
    let subject = match (facts.about_line, facts.order_id) {
        (false, Some(order)) => format!("your order {order}"),
        (false, None) => "your order".to_owned(),
        (true, Some(order)) => format!("an item of your order {order}"),
        (true, None) => "an item of your order".to_owned(),
    };
    let eta = facts.eta.map(format_date);
    let tracking = facts.tracking_number.trim();
    let carrier = facts.carrier.trim();
    let body = match facts.event {
        Event::OrderConfirmed => format!("we have received {subject} and confirmed it."),
        Event::Backordered => match &eta {
            Some(date) => format!(
                "{subject} is on backorder. We expect it to arrive on {date} and will ship it as soon as it does."
            ),
            None => format!(
                "{subject} is on backorder. We will tell you as soon as we know when it arrives."
            ),
        },
        Event::EtaKnown => match &eta {
            Some(date) => format!("{subject} is expected to arrive on {date}."),
            None => {
                format!("{subject} is on its way to us. We will confirm the arrival date soon.")
            }
        },
        Event::EtaChanged => match &eta {
            Some(date) => format!("the expected arrival of {subject} changed to {date}."),
            None => format!(
                "the expected arrival of {subject} changed. We will confirm the new date soon."
            ),
        },
        Event::Ready => format!("{subject} is in stock and ready to ship."),
        Event::Shipped => {
            let mut text = format!("{subject} has shipped");
            if !carrier.is_empty() {
                text.push_str(&format!(" with {carrier}"));
            }
            if !tracking.is_empty() {
                text.push_str(&format!(". Tracking number: {tracking}"));
            }
            text.push('.');
            text
        }
        Event::Delivered => {
            let mut text = format!("{subject} was delivered");
            if !tracking.is_empty() {
                text.push_str(&format!(" (tracking number {tracking})"));
            }
            text.push('.');
            text
        }
        Event::Cancelled => format!("{subject} was cancelled."),
    };
    let mut message = format!("{greeting} {body}");
    let detail = facts.detail.trim();
    if !detail.is_empty() {
        message.push_str(" Details: ");
        message.push_str(detail);
        if !detail.ends_with(['.', '!', '?']) {
            message.push('.');
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = "0190f3a4-0000-7000-8000-000000000001";

    /// 2026-12-01T09:30:00Z.
    fn dec_1_2026() -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_796_117_400_000).expect("in range")
    }

    fn order() -> Uuid {
        Uuid::parse_str(ORDER).expect("uuid")
    }

    fn facts(event: Event) -> MessageFacts<'static> {
        MessageFacts {
            event,
            customer_name: "Ana",
            order_id: Some(order()),
            about_line: true,
            detail: "SKU-1 x 2",
            eta: Some(dec_1_2026()),
            tracking_number: "1Z999AA10123456784",
            carrier: "UPS",
        }
    }

    fn bare(event: Event) -> MessageFacts<'static> {
        MessageFacts {
            event,
            customer_name: "",
            order_id: None,
            about_line: false,
            detail: "",
            eta: None,
            tracking_number: "",
            carrier: "",
        }
    }

    fn assert_no_blanks(message: &str) {
        for bad in [
            "{", "}", "  ", " ,", " .", "()", "on .", "with .", ": .", "None", "Some(",
        ] {
            assert!(
                !message.contains(bad),
                "message {message:?} contains {bad:?}"
            );
        }
        assert!(
            message.ends_with('.'),
            "message {message:?} ends a sentence"
        );
    }

    #[test]
    fn dates_render_as_their_utc_day() {
        let at = |ms| DateTime::from_timestamp_millis(ms).expect("in range");
        assert_eq!(format_date(at(0)), "1970-01-01");
        assert_eq!(format_date(dec_1_2026()), "2026-12-01");
        assert_eq!(format_date(at(951_782_400_000)), "2000-02-29");
        assert_eq!(format_date(at(-1)), "1969-12-31");
        // Late in the UTC day: still that day, whatever the server's zone.
        assert_eq!(format_date(at(1_796_169_599_999)), "2026-12-01");
    }

    #[test]
    fn backorder_and_eta_messages_carry_the_eta_date() {
        for event in [Event::Backordered, Event::EtaKnown, Event::EtaChanged] {
            let message = render_message(&facts(event));
            assert!(message.contains("2026-12-01"), "{message}");
            assert!(message.starts_with("Hello Ana, "), "{message}");
            assert!(message.contains(ORDER), "{message}");
            assert!(message.contains("Details: SKU-1 x 2."), "{message}");
            assert_no_blanks(&message);
        }
    }

    #[test]
    fn shipped_message_carries_tracking_number_and_carrier() {
        let message = render_message(&facts(Event::Shipped));
        assert!(message.contains("1Z999AA10123456784"), "{message}");
        assert!(message.contains("with UPS"), "{message}");
        assert!(
            !message.contains("2026-12-01"),
            "no ETA once shipped: {message}"
        );
        assert_no_blanks(&message);
        let delivered = render_message(&facts(Event::Delivered));
        assert!(delivered.contains("1Z999AA10123456784"), "{delivered}");
    }

    #[test]
    fn every_event_renders_without_empty_placeholders() {
        for event in Event::ALL {
            for f in [facts(event), bare(event)] {
                let message = render_message(&f);
                assert_no_blanks(&message);
                assert!(message.len() > "Hello, ".len(), "{message}");
            }
            let message = render_message(&bare(event));
            assert!(message.starts_with("Hello, "), "{message}");
            assert!(!subject(event).is_empty());
        }
    }

    #[test]
    fn shipped_without_tracking_leaves_it_out() {
        let mut f = facts(Event::Shipped);
        f.tracking_number = " ";
        f.carrier = "";
        let message = render_message(&f);
        assert!(!message.contains("Tracking"), "{message}");
        assert!(message.contains("has shipped."), "{message}");
    }

    #[test]
    fn whole_order_and_line_messages_differ() {
        let mut f = facts(Event::Cancelled);
        f.about_line = false;
        assert!(render_message(&f).contains(&format!("your order {ORDER} was cancelled.")));
        f.about_line = true;
        assert!(render_message(&f).contains("an item of your order"));
    }
}
