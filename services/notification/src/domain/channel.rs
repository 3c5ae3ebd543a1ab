//! The ways to reach a customer, and how a customer's choice is stored.

use super::UnknownCode;

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

impl TryFrom<i32> for Channel {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or(UnknownCode {
                kind: "channel",
                code,
            })
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

/// Channels from their stored form. A part that is not a known channel code
/// is refused: dropping it would silently stop a channel the customer chose.
pub fn decode_channels(text: &str) -> Result<Vec<Channel>, UnknownCode> {
    let mut channels = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        // A part that is not even a number cannot be any channel's code.
        let code = part.parse::<i32>().unwrap_or(i32::MIN);
        channels.push(Channel::try_from(code)?);
    }
    channels.sort();
    channels.dedup();
    Ok(channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_codes_round_trip_and_unknown_codes_are_refused() {
        for channel in Channel::ALL {
            assert_eq!(Channel::try_from(channel.code()), Ok(channel));
        }
        for code in [0, 4, -1] {
            let error = Channel::try_from(code).expect_err("unknown code");
            assert_eq!(error.code, code);
            assert_eq!(error.kind, "channel");
        }
    }

    #[test]
    fn stored_channels_round_trip_and_corrupt_ones_are_refused() {
        let stored = encode_channels(&[Channel::Push, Channel::Email, Channel::Push]);
        assert_eq!(stored, "1,3");
        assert_eq!(
            decode_channels(&stored),
            Ok(vec![Channel::Email, Channel::Push])
        );
        assert_eq!(decode_channels(""), Ok(Vec::new()));
        assert_eq!(decode_channels(" 2 "), Ok(vec![Channel::Sms]));
        assert_eq!(
            decode_channels("2, 9").expect_err("9 is no channel").code,
            9
        );
        assert!(decode_channels("2,x").is_err(), "garbage is refused");
    }
}
