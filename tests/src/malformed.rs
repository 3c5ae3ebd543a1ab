//! Malformed requests made from the descriptors of the contract alone: each
//! message is built field by field from its descriptor with hostile values
//! (extremes, out-of-range enums, empty, huge and odd text, deep nesting,
//! long repeats, unknown fields), and a share of them is corrupted on the
//! wire (wrong wire types, invalid UTF-8, truncation, random bytes).

use prost::encoding::{WireType, encode_key, encode_varint};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};

use crate::raw::message;
use crate::rng::Rng;

const TEXTS: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "null",
    "00000000-0000-0000-0000-000000000000",
    "019a0000-0000-7000-8000-000000000000",
    "not-a-uuid",
    "' OR 1=1 --",
    "\"; DROP TABLE orders; --",
    "%00%ff",
    "\0",
    "\u{202e}reversed",
    "ünïcödé ✓ 🚚",
    "line\nbreak\ttab",
    "9223372036854775808",
    "1e309",
    "2026-02-30",
    "2026-12-01T00:00:00Z",
    "..//..//etc/passwd",
    "<script>alert(1)</script>",
    "DEFAULT",
    "default",
];

const INTEGERS: &[i64] = &[
    0,
    1,
    -1,
    2,
    200,
    201,
    500,
    501,
    1_000_000,
    1_000_001,
    i32::MAX as i64,
    i32::MIN as i64,
    i64::MAX,
    i64::MIN,
    u32::MAX as i64,
];

/// Builds hostile requests for the messages of `set`.
pub struct Builder<'a> {
    set: &'a FileDescriptorSet,
    rng: Rng,
}

impl<'a> Builder<'a> {
    /// A builder over `set` drawing from `seed`.
    pub fn new(set: &'a FileDescriptorSet, seed: u64) -> Self {
        Self {
            set,
            rng: Rng::new(seed),
        }
    }

    /// The generator (to choose methods with the same seed).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// One malformed request for the message type `type_name`
    /// (`.backorder.order.v1.PlaceOrderRequest`).
    pub fn request(&mut self, type_name: &str) -> Vec<u8> {
        match self.rng.below(20) {
            // Random bytes: anything at all.
            0 => {
                let len = self.rng.below(64);
                (0..len).map(|_| self.rng.bits() as u8).collect()
            }
            // A well-formed-looking message, then cut short.
            1 => {
                let mut bytes = self.message(type_name, 0);
                if !bytes.is_empty() {
                    let len = u64::try_from(bytes.len()).unwrap_or(1);
                    bytes.truncate(usize::try_from(self.rng.below(len)).unwrap_or(0));
                }
                bytes
            }
            // A message with bytes appended (often an unfinished field).
            2 => {
                let mut bytes = self.message(type_name, 0);
                let extra = self.rng.below(8);
                bytes.extend((0..extra).map(|_| self.rng.bits() as u8));
                bytes
            }
            _ => self.message(type_name, 0),
        }
    }

    fn message(&mut self, type_name: &str, depth: u32) -> Vec<u8> {
        let Some(descriptor) = message(self.set, type_name) else {
            return Vec::new();
        };
        let descriptor: DescriptorProto = descriptor.clone();
        let mut out = Vec::new();
        for field in &descriptor.field {
            if self.rng.one_in(3) {
                continue;
            }
            let number = u32::try_from(field.number()).unwrap_or(1);
            let repeated = field.label() == Label::Repeated;
            let count = if repeated {
                match self.rng.below(10) {
                    0 => 201 + self.rng.below(300),
                    1..=4 => 0,
                    _ => 1 + self.rng.below(4),
                }
            } else if self.rng.one_in(15) {
                2 // a singular field twice: the last wins
            } else {
                1
            };
            for _ in 0..count {
                self.field(field, number, depth, &mut out);
            }
        }
        if self.rng.one_in(10) {
            // A field the message does not have.
            encode_key(
                1000 + u32::try_from(self.rng.below(1000)).unwrap_or(0),
                WireType::Varint,
                &mut out,
            );
            encode_varint(self.rng.bits(), &mut out);
        }
        out
    }

    fn field(
        &mut self,
        field: &prost_types::FieldDescriptorProto,
        number: u32,
        depth: u32,
        out: &mut Vec<u8>,
    ) {
        // A value of the wrong wire type for its field.
        if self.rng.one_in(40) {
            encode_key(number, WireType::ThirtyTwoBit, out);
            out.extend_from_slice(&(self.rng.bits() as u32).to_le_bytes());
            return;
        }
        match field.r#type() {
            Type::String => {
                encode_key(number, WireType::LengthDelimited, out);
                let text = self.text();
                encode_varint(text.len() as u64, out);
                out.extend_from_slice(&text);
            }
            Type::Bytes => {
                encode_key(number, WireType::LengthDelimited, out);
                let len = self.rng.below(40);
                encode_varint(len, out);
                out.extend((0..len).map(|_| self.rng.bits() as u8));
            }
            Type::Message | Type::Group => {
                let nested = if depth < 4 {
                    self.message(field.type_name(), depth + 1)
                } else {
                    Vec::new()
                };
                encode_key(number, WireType::LengthDelimited, out);
                encode_varint(nested.len() as u64, out);
                out.extend_from_slice(&nested);
            }
            Type::Double | Type::Fixed64 | Type::Sfixed64 => {
                encode_key(number, WireType::SixtyFourBit, out);
                let value = match self.rng.below(6) {
                    0 => f64::NAN.to_bits(),
                    1 => f64::INFINITY.to_bits(),
                    2 => (-0.0f64).to_bits(),
                    _ => self.rng.bits(),
                };
                out.extend_from_slice(&value.to_le_bytes());
            }
            Type::Float | Type::Fixed32 | Type::Sfixed32 => {
                encode_key(number, WireType::ThirtyTwoBit, out);
                out.extend_from_slice(&(self.rng.bits() as u32).to_le_bytes());
            }
            Type::Sint32 | Type::Sint64 => {
                encode_key(number, WireType::Varint, out);
                let value = *self.rng.pick(INTEGERS);
                encode_varint(((value << 1) ^ (value >> 63)) as u64, out);
            }
            Type::Enum => {
                encode_key(number, WireType::Varint, out);
                let value: i64 = match self.rng.below(4) {
                    0 => i64::try_from(self.rng.below(8)).unwrap_or(0),
                    1 => -1,
                    2 => i64::from(i32::MAX),
                    _ => i64::try_from(self.rng.below(1000)).unwrap_or(0),
                };
                encode_varint(value as u64, out);
            }
            Type::Bool => {
                encode_key(number, WireType::Varint, out);
                encode_varint(self.rng.below(3), out);
            }
            Type::Int32 | Type::Int64 | Type::Uint32 | Type::Uint64 => {
                encode_key(number, WireType::Varint, out);
                let value = if self.rng.one_in(4) {
                    self.rng.bits()
                } else {
                    *self.rng.pick(INTEGERS) as u64
                };
                encode_varint(value, out);
            }
        }
    }

    fn text(&mut self) -> Vec<u8> {
        match self.rng.below(12) {
            // Not UTF-8.
            0 => vec![0xff, 0xfe, b'a', 0xc3],
            // Long.
            1 => "x"
                .repeat(usize::try_from(300 + self.rng.below(20_000)).unwrap_or(300))
                .into_bytes(),
            _ => self.rng.pick(TEXTS).as_bytes().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_builds_the_same_requests() {
        let set = crate::raw::descriptors();
        let name = ".backorder.order.v1.PlaceOrderRequest";
        let a: Vec<Vec<u8>> = {
            let mut b = Builder::new(&set, 7);
            (0..50).map(|_| b.request(name)).collect()
        };
        let mut b = Builder::new(&set, 7);
        let again: Vec<Vec<u8>> = (0..50).map(|_| b.request(name)).collect();
        assert_eq!(a, again);
        assert!(a.iter().any(|r| r.len() > 10), "messages have content");
    }
}
