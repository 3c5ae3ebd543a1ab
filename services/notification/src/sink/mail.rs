//! One delivery as an e-mail message; lettre encodes the headers and picks
//! the body's transfer encoding, so long lines and non-ASCII text arrive
//! intact.

use std::time::SystemTime;

use lettre::Message;
use lettre::message::{Mailbox, SinglePart};

use super::{Outgoing, SinkError};

/// The e-mail for `out`, sent by `from`. `domain` names the sending host in
/// the Message-ID, which is the notification's id so that a delivery sent
/// twice (see the resender) is recognisably one message to the reader's
/// mail system.
pub(super) fn compose(
    from: &Mailbox,
    domain: &str,
    out: &Outgoing<'_>,
) -> Result<Message, SinkError> {
    let to = Mailbox::new(None, out.to.parse()?);
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(out.subject)
        .date(SystemTime::from(out.time))
        .message_id(Some(format!("<{}.email@{domain}>", out.notification_id)))
        .singlepart(SinglePart::plain(out.message.to_owned()))?;
    Ok(message)
}
