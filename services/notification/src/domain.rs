//! Notification rules, free of I/O: which channels a customer may choose and
//! what each needs, how channels are stored, what each event says to the
//! customer, and when a delivery left pending is sent again.

/// Longest customer name kept.
pub const MAX_NAME: usize = 200;
/// Longest e-mail address (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest push token.
pub const MAX_PUSH_TOKEN: usize = 4096;
/// Longest free-text detail of an event.
pub const MAX_DETAIL: usize = 1000;
/// Longest tracking number or carrier name.
pub const MAX_SHIPPING_TEXT: usize = 100;
/// A delivery still pending this long after its last attempt is sent again:
/// the service stopped between recording it and handing it over.
pub const RESEND_AFTER_MS: i64 = 30_000;

/// A way to reach a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// E-mail.
    Email,
    /// Text message.
    Sms,
    /// App push message.
    Push,
}

impl Channel {
    /// Every channel, in code order.
    pub const ALL: [Self; 3] = [Self::Email, Self::Sms, Self::Push];

    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Email => 1,
            Self::Sms => 2,
            Self::Push => 3,
        }
    }

    /// From the stored code; `None` for unspecified or unknown codes.
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            1 => Some(Self::Email),
            2 => Some(Self::Sms),
            3 => Some(Self::Push),
            _ => None,
        }
    }

    /// Lower-case name, used for sink files (`email.log`) and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }

    /// Name of the contact field the channel needs.
    pub fn address_field(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "phone",
            Self::Push => "push_token",
        }
    }

    /// Name of the proto enum value, for messages to callers.
    pub fn proto_name(self) -> &'static str {
        match self {
            Self::Email => "CHANNEL_EMAIL",
            Self::Sms => "CHANNEL_SMS",
            Self::Push => "CHANNEL_PUSH",
        }
    }
}

/// Channels as stored: comma-separated codes in code order (`"1,3"`).
pub fn encode_channels(channels: &[Channel]) -> String {
    let mut sorted = channels.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|c| c.code().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Channels from their stored form; unknown codes are skipped.
pub fn decode_channels(text: &str) -> Vec<Channel> {
    let mut channels: Vec<Channel> = text
        .split(',')
        .filter_map(|part| part.trim().parse::<i32>().ok())
        .filter_map(Channel::from_code)
        .collect();
    channels.sort();
    channels.dedup();
    channels
}

/// A customer's addresses, one per channel (empty when not given).
#[derive(Clone, Copy, Debug, Default)]
pub struct Contact<'a> {
    /// E-mail address.
    pub email: &'a str,
    /// Phone number.
    pub phone: &'a str,
    /// Push token.
    pub push_token: &'a str,
}

impl<'a> Contact<'a> {
    /// The address `channel` delivers to, if given.
    pub fn address(&self, channel: Channel) -> Option<&'a str> {
        let address = match channel {
            Channel::Email => self.email,
            Channel::Sms => self.phone,
            Channel::Push => self.push_token,
        };
        (!address.is_empty()).then_some(address)
    }
}

/// One invalid field of a customer's contact details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// Field path inside the customer, e.g. `channels[1]` or `email`.
    pub field: String,
    /// What is wrong.
    pub description: String,
}

fn invalid(field: impl Into<String>, description: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        description: description.into(),
    }
}

/// Checks the chosen channel codes against the contact details and returns
/// the channels (deduplicated, in code order). Every chosen channel needs its
/// address; every address given must be well-formed, chosen or not.
pub fn choose_channels(codes: &[i32], contact: &Contact<'_>) -> Result<Vec<Channel>, Vec<Invalid>> {
    let mut problems = Vec::new();
    let mut channels = Vec::new();
    if codes.is_empty() {
        problems.push(invalid(
            "channels",
            "must name at least one channel (CHANNEL_EMAIL, CHANNEL_SMS or CHANNEL_PUSH)",
        ));
    }
    for (i, code) in codes.iter().enumerate() {
        match Channel::from_code(*code) {
            Some(channel) => channels.push(channel),
            None => problems.push(invalid(
                format!("channels[{i}]"),
                "must be CHANNEL_EMAIL, CHANNEL_SMS or CHANNEL_PUSH",
            )),
        }
    }
    channels.sort();
    channels.dedup();
    for channel in &channels {
        if contact.address(*channel).is_none() {
            problems.push(invalid(
                channel.address_field(),
                format!("is required with {}", channel.proto_name()),
            ));
        }
    }
    if !contact.email.is_empty() && !is_valid_email(contact.email) {
        problems.push(invalid(
            "email",
            "must look like name@example.com (one '@', a dot in the domain, no spaces)",
        ));
    }
    if !contact.phone.is_empty() && !is_valid_phone(contact.phone) {
        problems.push(invalid(
            "phone",
            "must be 7 to 15 digits, optionally after a leading '+', without spaces",
        ));
    }
    if !contact.push_token.is_empty() && !is_valid_push_token(contact.push_token) {
        problems.push(invalid(
            "push_token",
            format!("must be at most {MAX_PUSH_TOKEN} characters without spaces"),
        ));
    }
    if problems.is_empty() {
        Ok(channels)
    } else {
        Err(problems)
    }
}

/// A basic shape check: one `@`, a non-empty local part, a domain with a dot
/// inside it, and nothing that could break a mail header or command.
pub fn is_valid_email(address: &str) -> bool {
    if address.len() > MAX_EMAIL
        || address.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | ',' | ';' | '"' | '(' | ')' | '[' | ']' | '\\'
                )
        })
    {
        return false;
    }
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && !domain.contains("..")
}

/// Digits only, optionally after a leading `+`, 7 to 15 digits (E.164 length).
pub fn is_valid_phone(phone: &str) -> bool {
    let digits = phone.strip_prefix('+').unwrap_or(phone);
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Not too long, no whitespace or control characters.
pub fn is_valid_push_token(token: &str) -> bool {
    token.chars().count() <= MAX_PUSH_TOKEN
        && !token.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// What the customer is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The order was placed.
    OrderConfirmed,
    /// A line is on backorder.
    Backordered,
    /// A backordered line's expected arrival became known.
    EtaKnown,
    /// A backordered line's expected arrival changed.
    EtaChanged,
    /// A backordered line is ready to ship.
    Ready,
    /// Lines shipped.
    Shipped,
    /// A shipment was delivered.
    Delivered,
    /// A line or order was cancelled.
    Cancelled,
}

impl Event {
    /// Every event, in code order.
    pub const ALL: [Self; 8] = [
        Self::OrderConfirmed,
        Self::Backordered,
        Self::EtaKnown,
        Self::EtaChanged,
        Self::Ready,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
    ];

    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::OrderConfirmed => 1,
            Self::Backordered => 2,
            Self::EtaKnown => 3,
            Self::EtaChanged => 4,
            Self::Ready => 5,
            Self::Shipped => 6,
            Self::Delivered => 7,
            Self::Cancelled => 8,
        }
    }

    /// From the stored code; `None` for unspecified or unknown codes.
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// Lower-case name, for sink records and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::OrderConfirmed => "order_confirmed",
            Self::Backordered => "backordered",
            Self::EtaKnown => "eta_known",
            Self::EtaChanged => "eta_changed",
            Self::Ready => "ready",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }

    /// E-mail subject line.
    pub fn subject(self) -> &'static str {
        match self {
            Self::OrderConfirmed => "Your order is confirmed",
            Self::Backordered => "An item of your order is on backorder",
            Self::EtaKnown => "We know when your item arrives",
            Self::EtaChanged => "The arrival date of your item changed",
            Self::Ready => "Your item is ready to ship",
            Self::Shipped => "Your order has shipped",
            Self::Delivered => "Your order was delivered",
            Self::Cancelled => "Your order was cancelled",
        }
    }
}

/// Outcome of one delivery, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Handed to the channel.
    Sent,
    /// The channel refused it.
    Failed,
    /// Recorded, not yet handed over.
    Pending,
}

impl DeliveryStatus {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Sent => 1,
            Self::Failed => 2,
            Self::Pending => 3,
        }
    }

    /// From the stored code.
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            1 => Some(Self::Sent),
            2 => Some(Self::Failed),
            3 => Some(Self::Pending),
            _ => None,
        }
    }

    /// Lower-case name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Pending => "pending",
        }
    }
}

/// Whether a delivery still pending, last attempted at `attempted_at`, is
/// due to be sent again at `now` (both Unix ms).
pub fn is_due_for_resend(attempted_at: i64, now: i64) -> bool {
    now.saturating_sub(attempted_at) >= RESEND_AFTER_MS
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
    pub order_id: &'a str,
    /// Whether the event is about one line rather than the whole order.
    pub about_line: bool,
    /// Free text (SKU, quantities, reason).
    pub detail: &'a str,
    /// Expected arrival (Unix ms).
    pub eta_ms: Option<i64>,
    /// Tracking number.
    pub tracking_number: &'a str,
    /// Carrier.
    pub carrier: &'a str,
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
    let order = facts.order_id.trim();
    let subject = match (facts.about_line, order.is_empty()) {
        (false, false) => format!("your order {order}"),
        (false, true) => "your order".to_owned(),
        (true, false) => format!("an item of your order {order}"),
        (true, true) => "an item of your order".to_owned(),
    };
    let eta = facts.eta_ms.map(format_date);
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

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// A Unix-ms time as its UTC date, `YYYY-MM-DD`.
pub fn format_date(ms: i64) -> String {
    let (year, month, day) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{year:04}-{month:02}-{day:02}")
}

/// A Unix-ms time as RFC 3339 UTC with milliseconds,
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_rfc3339(ms: i64) -> String {
    let millis_of_day = ms.rem_euclid(86_400_000);
    let seconds = millis_of_day / 1000;
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        format_date(ms),
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60,
        millis_of_day % 1000
    )
}

/// A Unix-ms time as an RFC 5322 `Date:` header value in UTC,
/// e.g. `Tue, 01 Dec 2026 09:30:00 +0000`.
pub fn format_rfc5322(ms: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = ms.div_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let weekday = usize::try_from(days.rem_euclid(7))
        .ok()
        .and_then(|i| WEEKDAYS.get(i))
        .copied()
        .unwrap_or("Thu");
    let month_name = usize::try_from(month)
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("Jan");
    let seconds = ms.rem_euclid(86_400_000) / 1000;
    format!(
        "{weekday}, {day:02} {month_name} {year:04} {:02}:{:02}:{:02} +0000",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01T09:30:00Z.
    const DEC_1_2026: i64 = 1_796_117_400_000;
    const ORDER: &str = "0190f3a4-0000-7000-8000-000000000001";

    fn facts(event: Event) -> MessageFacts<'static> {
        MessageFacts {
            event,
            customer_name: "Ana",
            order_id: ORDER,
            about_line: true,
            detail: "SKU-1 x 2",
            eta_ms: Some(DEC_1_2026),
            tracking_number: "1Z999AA10123456784",
            carrier: "UPS",
        }
    }

    fn bare(event: Event) -> MessageFacts<'static> {
        MessageFacts {
            event,
            customer_name: "",
            order_id: "",
            about_line: false,
            detail: "",
            eta_ms: None,
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
    fn dates_render_in_utc() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(DEC_1_2026), "2026-12-01");
        assert_eq!(format_date(951_782_400_000), "2000-02-29");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(format_rfc3339(DEC_1_2026 + 45), "2026-12-01T09:30:00.045Z");
        assert_eq!(
            format_rfc5322(DEC_1_2026),
            "Tue, 01 Dec 2026 09:30:00 +0000"
        );
        assert_eq!(format_rfc5322(0), "Thu, 01 Jan 1970 00:00:00 +0000");
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

    #[test]
    fn channel_codes_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(Channel::from_code(channel.code()), Some(channel));
        }
        assert_eq!(Channel::from_code(0), None);
        assert_eq!(Channel::from_code(4), None);
        let stored = encode_channels(&[Channel::Push, Channel::Email, Channel::Push]);
        assert_eq!(stored, "1,3");
        assert_eq!(
            decode_channels(&stored),
            vec![Channel::Email, Channel::Push]
        );
        assert_eq!(decode_channels(""), Vec::<Channel>::new());
        assert_eq!(decode_channels("2, 9,x"), vec![Channel::Sms]);
        for event in Event::ALL {
            assert_eq!(Event::from_code(event.code()), Some(event));
        }
        assert_eq!(Event::from_code(0), None);
        for status in [
            DeliveryStatus::Sent,
            DeliveryStatus::Failed,
            DeliveryStatus::Pending,
        ] {
            assert_eq!(DeliveryStatus::from_code(status.code()), Some(status));
        }
    }

    #[test]
    fn chosen_channels_need_their_address() {
        let contact = Contact {
            email: "ana@example.com",
            phone: "",
            push_token: "",
        };
        assert_eq!(choose_channels(&[1, 1], &contact), Ok(vec![Channel::Email]));
        let problems =
            choose_channels(&[1, 2, 3], &contact).expect_err("sms and push lack addresses");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["phone", "push_token"]);
        assert!(problems[0].description.contains("CHANNEL_SMS"));
    }

    #[test]
    fn no_channel_or_unknown_channel_is_refused() {
        let contact = Contact {
            email: "ana@example.com",
            phone: "+4915112345678",
            push_token: "tok-123",
        };
        let problems = choose_channels(&[], &contact).expect_err("no channel");
        assert_eq!(problems[0].field, "channels");
        let problems = choose_channels(&[1, 0, 7], &contact).expect_err("unknown channels");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["channels[1]", "channels[2]"]);
        assert_eq!(
            choose_channels(&[3, 2, 1], &contact),
            Ok(vec![Channel::Email, Channel::Sms, Channel::Push])
        );
    }

    #[test]
    fn addresses_are_shape_checked() {
        for good in ["a@b.co", "first.last+tag@mail.example.org"] {
            assert!(is_valid_email(good), "{good}");
        }
        for bad in [
            "",
            "ana",
            "ana@example",
            "@example.com",
            "ana@.example.com",
            "ana@example.com.",
            "ana@@example.com",
            "ana smith@example.com",
            "ana@example.com\r\nRCPT TO:<x@y.z>",
            "<ana@example.com>",
        ] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
        for good in ["+4915112345678", "5551234", "123456789012345"] {
            assert!(is_valid_phone(good), "{good}");
        }
        for bad in [
            "",
            "+",
            "123456",
            "1234567890123456",
            "+49 151 1234",
            "555-1234",
            "++5551234",
        ] {
            assert!(!is_valid_phone(bad), "{bad:?}");
        }
        let contact = Contact {
            email: "not-an-email",
            phone: "12",
            push_token: "has space",
        };
        let problems = choose_channels(&[1], &contact).expect_err("malformed addresses");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["email", "phone", "push_token"]);
    }

    #[test]
    fn pending_deliveries_are_resent_after_the_grace_period() {
        let attempted = 1_000_000;
        assert!(!is_due_for_resend(attempted, attempted));
        assert!(!is_due_for_resend(
            attempted,
            attempted + RESEND_AFTER_MS - 1
        ));
        assert!(is_due_for_resend(attempted, attempted + RESEND_AFTER_MS));
    }
}
