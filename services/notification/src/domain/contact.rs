//! A customer's contact details: what each channel needs and what a
//! well-formed address looks like.

use uuid::Uuid;

use super::{Channel, MAX_EMAIL, MAX_PUSH_TOKEN};

/// A customer's addresses, one per channel (empty when not given).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    /// E-mail address.
    pub email: String,
    /// Phone number.
    pub phone: String,
    /// Push token.
    pub push_token: String,
}

impl Contact {
    /// The address `channel` delivers to, if given.
    pub fn address(&self, channel: Channel) -> Option<&str> {
        let address = match channel {
            Channel::Email => &self.email,
            Channel::Sms => &self.phone,
            Channel::Push => &self.push_token,
        };
        (!address.is_empty()).then_some(address.as_str())
    }
}

/// A customer as `UpsertCustomer` stores it, already checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerDetails {
    /// Customer id, the same as in orders.
    pub id: Uuid,
    /// Name used in messages, trimmed.
    pub name: String,
    /// Addresses.
    pub contact: Contact,
    /// Chosen channels, deduplicated, in code order; each has its address.
    pub channels: Vec<Channel>,
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
pub fn choose_channels(codes: &[i32], contact: &Contact) -> Result<Vec<Channel>, Vec<Invalid>> {
    let mut problems = Vec::new();
    let mut channels = Vec::new();
    if codes.is_empty() {
        problems.push(invalid(
            "channels",
            "must name at least one channel (CHANNEL_EMAIL, CHANNEL_SMS or CHANNEL_PUSH)",
        ));
    }
    for (i, code) in codes.iter().enumerate() {
        match Channel::try_from(*code) {
            Ok(channel) => channels.push(channel),
            Err(_) => problems.push(invalid(
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
    if !contact.email.is_empty() && !is_valid_email(&contact.email) {
        problems.push(invalid(
            "email",
            "must look like name@example.com (one '@', a dot in the domain, no spaces)",
        ));
    }
    if !contact.phone.is_empty() && !is_valid_phone(&contact.phone) {
        problems.push(invalid(
            "phone",
            "must be 7 to 15 digits, optionally after a leading '+', without spaces",
        ));
    }
    if !contact.push_token.is_empty() && !is_valid_push_token(&contact.push_token) {
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
    super::within_chars(token, MAX_PUSH_TOKEN)
        && !token.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(email: &str, phone: &str, push_token: &str) -> Contact {
        Contact {
            email: email.to_owned(),
            phone: phone.to_owned(),
            push_token: push_token.to_owned(),
        }
    }

    #[test]
    fn chosen_channels_need_their_address() {
        let contact = contact("ana@example.com", "", "");
        assert_eq!(choose_channels(&[1, 1], &contact), Ok(vec![Channel::Email]));
        let problems =
            choose_channels(&[1, 2, 3], &contact).expect_err("sms and push lack addresses");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["phone", "push_token"]);
        assert!(problems[0].description.contains("CHANNEL_SMS"));
    }

    #[test]
    fn no_channel_or_unknown_channel_is_refused() {
        let contact = contact("ana@example.com", "+4915112345678", "tok-123");
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
        let problems = choose_channels(&[1], &contact("not-an-email", "12", "has space"))
            .expect_err("malformed addresses");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["email", "phone", "push_token"]);
    }
}
