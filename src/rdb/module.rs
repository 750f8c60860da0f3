//! Module data: skipped, since Tessera loads no modules.
//!
//! Owns: skipping a module value (type 7) and module auxiliary data (opcode MODULE_AUX), both of
//! which are sequences of opcode-tagged fields ending with opcode 0, so they can be stepped over
//! without the module, and naming the module a 64-bit module id stands for. A pre-GA module
//! value (type 6) has no such tags and cannot be skipped; the reader refuses it.

use std::io::BufRead;

use super::input::{Input, Result};

/// Field opcodes inside module data.
mod field {
    pub const EOF: u64 = 0;
    pub const SINT: u64 = 1;
    pub const UINT: u64 = 2;
    pub const FLOAT: u64 = 3;
    pub const DOUBLE: u64 = 4;
    pub const STRING: u64 = 5;
}

/// The characters of module type names, six bits each.
const NAME_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The nine-character type name in a module id (its top 54 bits; the low 10 are a version).
pub fn module_name(id: u64) -> String {
    let mut bits = id >> 10;
    let mut name = [0u8; 9];
    for slot in name.iter_mut().rev() {
        *slot = NAME_CHARS[(bits & 63) as usize];
        bits >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// Skips a module value after its type byte; returns the module type's name.
pub fn skip_value<R: BufRead>(input: &mut Input<R>) -> Result<String> {
    let name = module_name(input.len()?);
    skip_fields(input, &name)?;
    Ok(name)
}

/// Skips module auxiliary data after its opcode; returns the module type's name.
pub fn skip_aux<R: BufRead>(input: &mut Input<R>) -> Result<String> {
    let name = module_name(input.len()?);
    let at = input.offset();
    if input.len()? != field::UINT {
        return Err(input.corrupt_at(at, format!("module {name} aux data: bad 'when' opcode")));
    }
    input.len()?;
    skip_fields(input, &name)?;
    Ok(name)
}

fn skip_fields<R: BufRead>(input: &mut Input<R>, name: &str) -> Result<()> {
    loop {
        let at = input.offset();
        match input.len()? {
            field::EOF => return Ok(()),
            field::SINT | field::UINT => {
                input.len()?;
            }
            field::FLOAT => input.skip(4)?,
            field::DOUBLE => input.skip(8)?,
            field::STRING => input.skip_string()?,
            op => {
                return Err(
                    input.corrupt_at(at, format!("module {name} data: unknown field opcode {op}"))
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id of a module type named `name` at encoding version `ver`.
    fn id_of(name: &[u8; 9], ver: u64) -> u64 {
        let mut id = 0u64;
        for c in name {
            let k = NAME_CHARS.iter().position(|x| x == c).unwrap() as u64;
            id = (id << 6) | k;
        }
        (id << 10) | ver
    }

    #[test]
    fn names_come_from_the_top_bits() {
        assert_eq!(module_name(id_of(b"MyType-_9", 3)), "MyType-_9");
    }

    #[test]
    fn every_field_kind_is_skipped() {
        let id = id_of(b"ReJSON-RL", 3);
        let mut bytes = vec![0x81];
        bytes.extend_from_slice(&id.to_be_bytes());
        bytes.extend_from_slice(&[
            1, 5, 2, 0x40, 0x80, 3, 0, 0, 0, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8,
        ]);
        bytes.extend_from_slice(&[5, 3, b'a', b'b', b'c', 0, 0xee]);
        let mut input = Input::new(&bytes[..], false);
        assert_eq!(skip_value(&mut input).unwrap(), "ReJSON-RL");
        assert_eq!(input.u8().unwrap(), 0xee);
        let bad = [0x01, 9];
        assert!(skip_value(&mut Input::new(&bad[..], false)).is_err());
    }
}
