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
        Event::Charged => "You were charged for your item",
        Event::Refunded => "You were refunded for your item",
        Event::LineChanged => "An item of your order was changed",
        Event::DelayOffered => "Your item is delayed: keep waiting or cancel",
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
    /// Latest expected arrival, when the date is a range.
    pub eta_latest: Option<DateTime<Utc>>,
    /// Tracking number.
    pub tracking_number: &'a str,
    /// Carrier.
    pub carrier: &'a str,
}

/// A date as customers see it: its UTC calendar day, `YYYY-MM-DD`.
pub fn format_date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// A date as customers see it, or a range of dates ("between 2026-12-08
/// and 2026-12-10") when the latest is another day.
fn date_or_range(from: DateTime<Utc>, latest: Option<DateTime<Utc>>) -> String {
    match latest.map(format_date) {
        Some(to) if to != format_date(from) => format!("between {} and {to}", format_date(from)),
        _ => format_date(from),
    }
}

/// "on 2026-12-08", or the range as it is.
fn on(date: &str) -> String {
    if date.starts_with("between") {
        date.to_owned()
    } else {
        format!("on {date}")
    }
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
    let eta = facts.eta.map(|from| date_or_range(from, facts.eta_latest));
    let tracking = facts.tracking_number.trim();
    let carrier = facts.carrier.trim();
    let body = match facts.event {
        Event::OrderConfirmed => format!("we have received {subject} and confirmed it."),
        Event::Backordered => match &eta {
            Some(date) => format!(
                "{subject} is on backorder. We expect it to arrive {} and will ship it as soon as it does.",
                on(date)
            ),
            None => format!(
                "{subject} is on backorder. We will tell you as soon as we know when it arrives."
            ),
        },
        Event::EtaKnown => match &eta {
            Some(date) => format!("{subject} is expected to arrive {}.", on(date)),
            None => {
                format!("{subject} is on its way to us. We will confirm the arrival date soon.")
            }
        },
        Event::EtaChanged => match &eta {
            Some(date) => format!(
                "the expected arrival of {subject} changed: it is now expected {}.",
                on(date)
            ),
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
        Event::Charged => format!("we have charged you for {subject}."),
        Event::Refunded => format!("we have refunded the charge for {subject}."),
        Event::LineChanged => format!("{subject} was changed as you asked."),
        Event::DelayOffered => match &eta {
            Some(date) => format!(
                "{subject} is delayed: it is now expected {}. You may keep waiting or cancel it.",
                on(date)
            ),
            None => format!("{subject} is delayed. You may keep waiting or cancel it."),
        },
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
            eta_latest: None,
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
            eta_latest: None,
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
    fn a_changed_line_says_what_changed() {
        let mut f = facts(Event::LineChanged);
        f.detail = "LAMP-9 x 3 replaced by LAMP-10 x 3; in stock and ready to ship";
        let message = render_message(&f);
        assert!(
            message.contains(&format!("an item of your order {ORDER} was changed")),
            "{message}"
        );
        assert!(
            message.ends_with(
                "Details: LAMP-9 x 3 replaced by LAMP-10 x 3; in stock and ready to ship."
            ),
            "{message}"
        );
        assert_eq!(
            subject(Event::LineChanged),
            "An item of your order was changed"
        );
    }

    #[test]
    fn a_delay_says_the_new_date_and_offers_the_choice() {
        let mut f = facts(Event::DelayOffered);
        f.eta_latest = Some(dec_1_2026() + chrono::Days::new(2));
        f.detail = "3 x LAMP-1: now expected 2026-12-01 (was 2026-11-20). Reply by 2026-11-23 to keep waiting or cancel; without a reply it stays on order";
        let message = render_message(&f);
        assert!(
            message.contains(&format!(
                "an item of your order {ORDER} is delayed: it is now expected between 2026-12-01 and 2026-12-03. You may keep waiting or cancel it."
            )),
            "{message}"
        );
        assert!(
            message.ends_with("without a reply it stays on order."),
            "{message}"
        );
        assert_eq!(
            subject(Event::DelayOffered),
            "Your item is delayed: keep waiting or cancel"
        );
    }

    #[test]
    fn charges_and_refunds_say_the_amount() {
        let mut f = facts(Event::Charged);
        f.detail = "2 x LAMP-9 charged 25.00";
        let message = render_message(&f);
        assert!(
            message.contains(&format!(
                "we have charged you for an item of your order {ORDER}."
            )),
            "{message}"
        );
        assert!(
            message.ends_with("Details: 2 x LAMP-9 charged 25.00."),
            "{message}"
        );
        f.event = Event::Refunded;
        f.detail = "2 x LAMP-9 refunded 25.00";
        let message = render_message(&f);
        assert!(
            message.contains("we have refunded the charge for"),
            "{message}"
        );
        assert_eq!(subject(Event::Charged), "You were charged for your item");
        assert_eq!(subject(Event::Refunded), "You were refunded for your item");
    }

    #[test]
    fn whole_order_and_line_messages_differ() {
        let mut f = facts(Event::Cancelled);
        f.about_line = false;
        assert!(render_message(&f).contains(&format!("your order {ORDER} was cancelled.")));
        f.about_line = true;
        assert!(render_message(&f).contains("an item of your order"));
    }

    #[test]
    fn an_estimated_date_is_told_as_a_range() {
        let from = dec_1_2026();
        let mut f = facts(Event::Backordered);
        f.eta_latest = Some(from + chrono::Days::new(3));
        let message = render_message(&f);
        assert!(
            message.contains("arrive between 2026-12-01 and 2026-12-04"),
            "{message}"
        );
        f.eta_latest = Some(from);
        assert!(render_message(&f).contains("arrive on 2026-12-01"));
        f.event = Event::EtaChanged;
        f.eta_latest = Some(from + chrono::Days::new(1));
        assert!(
            render_message(&f).contains("now expected between 2026-12-01 and 2026-12-02"),
            "{}",
            render_message(&f)
        );
    }
}
