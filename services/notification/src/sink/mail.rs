//! The text of one e-mail as SMTP's DATA carries it: headers, a blank line,
//! the wrapped and dot-stuffed body, the final dot.

use super::Outgoing;

/// Body lines are wrapped at spaces to about this width.
pub(super) const WRAP_WIDTH: usize = 78;
/// Hard limit of a body line, well under SMTP's 998 octets.
pub(super) const MAX_LINE_BYTES: usize = 900;

/// The DATA section of `out`, sent by `from`; `domain` names the sending
/// host in the Message-ID.
pub(super) fn compose(from: &str, domain: &str, out: &Outgoing<'_>) -> String {
    let subject: String = out
        .subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut data = String::new();
    for (name, value) in [
        ("From", format!("<{from}>")),
        ("To", format!("<{}>", out.to)),
        ("Subject", subject),
        // RFC 5322 date, in UTC with a two-digit day.
        (
            "Date",
            out.time.format("%a, %d %b %Y %H:%M:%S +0000").to_string(),
        ),
        (
            "Message-ID",
            format!("<{}.email@{domain}>", out.notification_id),
        ),
        ("MIME-Version", "1.0".to_owned()),
        ("Content-Type", "text/plain; charset=utf-8".to_owned()),
        ("Content-Transfer-Encoding", "8bit".to_owned()),
    ] {
        data.push_str(&format!("{name}: {value}\r\n"));
    }
    data.push_str("\r\n");
    let body = out.message.replace("\r\n", "\n").replace('\r', "\n");
    for paragraph in body.split('\n') {
        for line in wrap(paragraph) {
            if line.starts_with('.') {
                data.push('.');
            }
            data.push_str(&line);
            data.push_str("\r\n");
        }
    }
    data.push_str(".\r\n");
    data
}

/// Splits one paragraph into lines of about [`WRAP_WIDTH`] characters at
/// spaces; a word longer than [`MAX_LINE_BYTES`] is cut (at a character
/// boundary).
pub(super) fn wrap(paragraph: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in paragraph.split(' ') {
        let mut word = word;
        while word.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !word.is_char_boundary(cut) {
                cut -= 1;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let (head, tail) = word.split_at(cut);
            lines.push(head.to_owned());
            word = tail;
        }
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > WRAP_WIDTH {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
}
