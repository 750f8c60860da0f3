//! Streams written back in the layout Redis 7.0 reads (type 19).
//!
//! Owns: the encoder of a [`StreamData`] into type-19 payload bytes. Entries are packed into
//! nodes of at most 100 (Redis's default `stream-node-max-entries`), each node's master entry
//! taking the fields of its first entry, and entries with those same fields stored as values
//! only, as Redis's `XADD` builds them. Deleted entries are not kept: the maximal deleted ID and
//! the entries-added counter carry what they told.

use std::io::{self, Write};

use super::listpack::ListpackBuilder;
use super::output::Output;
use super::stream::{StreamData, StreamEntry, StreamId};

/// Most entries in one node.
const NODE_ENTRIES: usize = 100;
/// Entry flag: same fields as the master entry.
const FLAG_SAMEFIELDS: i64 = 2;

/// Writes the type-19 payload of `s` (without the type byte).
pub fn write_stream<W: Write>(out: &mut Output<W>, s: &StreamData) -> io::Result<()> {
    let nodes: Vec<&[StreamEntry]> = s.entries.chunks(NODE_ENTRIES).collect();
    out.len(nodes.len() as u64)?;
    for node in &nodes {
        let master = node[0].id;
        out.string(&master.to_be_bytes())?;
        out.string(&node_listpack(master, node))?;
    }
    out.len(s.length)?;
    write_id(out, s.last_id)?;
    write_id(out, s.first_id)?;
    write_id(out, s.max_deleted_entry_id)?;
    out.len(s.entries_added)?;
    out.len(s.groups.len() as u64)?;
    for g in &s.groups {
        out.string(&g.name)?;
        write_id(out, g.last_delivered_id)?;
        out.len(g.entries_read.unwrap_or(-1) as u64)?;
        out.len(g.pending.len() as u64)?;
        for p in &g.pending {
            out.put(&p.id.to_be_bytes())?;
            out.i64_le(p.delivery_time_ms)?;
            out.len(p.delivery_count)?;
        }
        out.len(g.consumers.len() as u64)?;
        for c in &g.consumers {
            out.string(&c.name)?;
            out.i64_le(c.seen_time_ms)?;
            out.len(c.pending.len() as u64)?;
            for id in &c.pending {
                out.put(&id.to_be_bytes())?;
            }
        }
    }
    Ok(())
}

fn write_id<W: Write>(out: &mut Output<W>, id: StreamId) -> io::Result<()> {
    out.len(id.ms)?;
    out.len(id.seq)
}

/// The listpack of one node whose master ID is `master`.
fn node_listpack(master: StreamId, entries: &[StreamEntry]) -> Vec<u8> {
    let master_fields: Vec<&[u8]> = entries[0].fields.iter().map(|(f, _)| &f[..]).collect();
    let mut lp = ListpackBuilder::new();
    lp.push_int(entries.len() as i64);
    lp.push_int(0);
    lp.push_int(master_fields.len() as i64);
    for f in &master_fields {
        lp.push_str(f);
    }
    lp.push_int(0);
    for e in entries {
        let same = e.fields.len() == master_fields.len()
            && e.fields
                .iter()
                .zip(&master_fields)
                .all(|((f, _), m)| f == m);
        lp.push_int(if same { FLAG_SAMEFIELDS } else { 0 });
        lp.push_int(e.id.ms.wrapping_sub(master.ms) as i64);
        lp.push_int(e.id.seq.wrapping_sub(master.seq) as i64);
        let n = e.fields.len() as i64;
        if same {
            for (_, v) in &e.fields {
                lp.push_str(v);
            }
            lp.push_int(n + 3);
        } else {
            lp.push_int(n);
            for (f, v) in &e.fields {
                lp.push_str(f);
                lp.push_str(v);
            }
            lp.push_int(2 * n + 4);
        }
    }
    lp.finish()
}
