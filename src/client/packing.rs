//! How the offline cache keeps a record's JSON: LZ4-compressed against a
//! built-in dictionary of the records' usual shape (keys, statuses, event
//! kinds). A request of a few timeline events packs to under half its size,
//! which keeps a console holding a million requests within its disk budget.
//!
//! A packed value starts with a format byte, so values written before
//! packing (plain JSON, which starts with `{`) still read.

use std::borrow::Cow;

/// LZ4 block against [`DICT_V1`], the uncompressed length as a little
/// endian u32 in front.
const PACKED_V1: u8 = 1;

/// What records usually look like. Never change it: values packed with it
/// must stay readable. A better dictionary comes as a new format byte.
const DICT_V1: &[u8] = br#"{"id":"01900000-0000-7000-8000-000000000000","full_name":"","phones":["+905","+90342"],"tckn":null,"email":null,"address":{"district":"SAHINBEY","neighbourhood":"","street":" Nolu Sokak","number":""},"hide_identity":false,"created_at":"2025-01-01T00:00:00.000Z","updated_at":"2025-01-01T00:00:00.000Z","version":0}{"id":"01900000-0000-7000-8000-000000000000","tracking_no":"27-","type":"complaint","channel":"line153","category":"","unit":"SEHITKAMIL_BLD","status":"forwarded","priority":"normal","location":{"district":"SEHITKAMIL","neighbourhood":"","address":" Nolu Sokak No: "},"description":" Mah. ","citizen_id":null,"created_by":"","assigned_to":null,"duplicate_of":null,"co_reporters":[],"sla_due_at":"2026-","paused_at":null,"contacts":0,"call_seconds":null,"created_at":"2026-","updated_at":"2026-","version":0,"timeline":[{"id":"","at":"","actor":"agent","kind":"created","status":"registered","unit":"","internal":false},{"id":"","at":"","actor":"","kind":"forwarded","status":"forwarded","unit":"","internal":false},{"id":"","at":"","actor":"","kind":"accepted","status":"in_progress","text":" ekip ","internal":false},{"id":"","at":"","actor":"","kind":"note","text":"","internal":true},{"id":"","at":"","actor":"","kind":"resolved","status":"resolved","text":"","internal":false},{"id":"","at":"","actor":"","kind":"citizen_informed","status":"informed","text":"","internal":false},{"id":"","at":"","actor":"","kind":"status_changed","status":"closed","internal":false}]}"#;

/// Packs a record's JSON for storage.
pub fn pack(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    pack_into(json, &mut out);
    out
}

/// Appends a record's JSON, packed, to `out`.
pub fn pack_into(json: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let max = lz4_flex::block::get_maximum_output_size(json.len());
    out.push(PACKED_V1);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.resize(start + 5 + max, 0);
    let n = lz4_flex::block::compress_into_with_dict(json, &mut out[start + 5..], DICT_V1)
        .expect("the output has room for the worst case");
    out.truncate(start + 5 + n);
}

/// The JSON of a stored value, packed or plain.
pub fn unpack(stored: &[u8]) -> anyhow::Result<Cow<'_, [u8]>> {
    match stored.first() {
        Some(&PACKED_V1) if stored.len() >= 5 => {
            let len = u32::from_le_bytes(stored[1..5].try_into().expect("4 bytes")) as usize;
            let json = lz4_flex::block::decompress_with_dict(&stored[5..], len, DICT_V1)
                .map_err(|e| anyhow::anyhow!("a cached record does not unpack: {e}"))?;
            anyhow::ensure!(json.len() == len, "a cached record unpacks to {} bytes, not {len}", json.len());
            Ok(Cow::Owned(json))
        }
        Some(&PACKED_V1) => anyhow::bail!("a cached record is cut short"),
        _ => Ok(Cow::Borrowed(stored)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks_and_reads_plain_json() {
        let json = br#"{"id":"019d677a-4739-77f8-bb61-59a40c3a40fb","status":"forwarded","timeline":[]}"#;
        let packed = pack(json);
        assert_eq!(packed[0], PACKED_V1);
        assert!(packed.len() < json.len());
        assert_eq!(unpack(&packed).unwrap().as_ref(), json);
        let mut two = b"x".to_vec();
        pack_into(json, &mut two);
        pack_into(b"{}", &mut two);
        assert_eq!(&two[1..=packed.len()], packed.as_slice());
        assert_eq!(unpack(&two[1 + packed.len()..]).unwrap().as_ref(), b"{}");
        assert_eq!(unpack(json).unwrap().as_ref(), json, "plain JSON from before packing");
        assert_eq!(unpack(b"").unwrap().as_ref(), b"");
        assert!(unpack(&packed[..packed.len() - 3]).is_err());
        assert!(unpack(&[PACKED_V1, 1]).is_err());
    }
}
