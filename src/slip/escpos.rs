//! ESC/POS: the bytes a thermal printer takes for a slip image, and a decoder for tests.
//!
//! The job is: initialise (`ESC @`), the image in bands of raster rows (`GS v 0`, small enough
//! for the printer's receive buffer), blank stretches as paper feed (`ESC J n`) instead of
//! rows of zeros, then feed and a partial cut (`GS V 1`).

use super::layout::Bitmap;

/// Rows per `GS v 0` band: 64 rows of a 576-dot line are 4.6 KB, which the common 58/80 mm
/// printers' receive buffers take without overflowing.
pub const BAND_ROWS: u32 = 64;
/// Blank space after the slip, so the cut falls below the last line (in dots).
const TAIL_FEED: u8 = 96;

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;

/// Encodes an image as a print job.
pub fn encode(bitmap: &Bitmap) -> Vec<u8> {
    let bytes_per_row = bitmap.bytes_per_row();
    let mut out = vec![ESC, b'@'];
    let mut y = 0;
    while y < bitmap.height() {
        // A stretch of blank rows becomes paper feed.
        let blank = (y..bitmap.height())
            .take_while(|r| bitmap.row_is_blank(*r))
            .count() as u32;
        if blank > 0 {
            let mut left = blank;
            while left > 0 {
                let n = left.min(255);
                out.extend_from_slice(&[ESC, b'J', n as u8]);
                left -= n;
            }
            y += blank;
            continue;
        }
        // Otherwise a band of rows up to the next blank stretch (or the band limit).
        let rows = (y..bitmap.height())
            .take(BAND_ROWS as usize)
            .take_while(|r| !bitmap.row_is_blank(*r))
            .count() as u32;
        let x_bytes = bytes_per_row as u16;
        out.extend_from_slice(&[GS, b'v', b'0', 0]);
        out.extend_from_slice(&x_bytes.to_le_bytes());
        out.extend_from_slice(&(rows as u16).to_le_bytes());
        for r in y..y + rows {
            out.extend_from_slice(bitmap.row(r));
        }
        y += rows;
    }
    out.extend_from_slice(&[ESC, b'J', TAIL_FEED, GS, b'V', 1]);
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("byte {0}: unknown command")]
    Unknown(usize),
    #[error("byte {0}: the job ends inside a command")]
    Truncated(usize),
    #[error("byte {0}: a band is {1} bytes wide, not {2}")]
    Width(usize, usize, usize),
}

/// Reads a job back into the image it prints (feed after the last line is not part of it).
pub fn decode(job: &[u8], width: u32) -> Result<Bitmap, DecodeError> {
    let mut bitmap = Bitmap::new(width, 0);
    let row = bitmap.bytes_per_row();
    let mut pending_feed: usize = 0;
    let mut i = 0;
    while i < job.len() {
        match job.get(i..i + 2) {
            Some([ESC, b'@']) => i += 2,
            Some([ESC, b'J']) => {
                let n = *job.get(i + 2).ok_or(DecodeError::Truncated(i))?;
                pending_feed += n as usize;
                i += 3;
            }
            Some([GS, b'V']) => i += 3,
            Some([GS, b'v']) => {
                let header = job.get(i..i + 8).ok_or(DecodeError::Truncated(i))?;
                let x_bytes = u16::from_le_bytes([header[4], header[5]]) as usize;
                let rows = u16::from_le_bytes([header[6], header[7]]) as usize;
                if x_bytes != row {
                    return Err(DecodeError::Width(i, x_bytes, row));
                }
                let data = job
                    .get(i + 8..i + 8 + x_bytes * rows)
                    .ok_or(DecodeError::Truncated(i))?;
                bitmap.push_rows(&vec![0; pending_feed * row]);
                pending_feed = 0;
                bitmap.push_rows(data);
                i += 8 + x_bytes * rows;
            }
            _ => return Err(DecodeError::Unknown(i)),
        }
    }
    Ok(bitmap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_rows_become_feed_and_bands_stay_small() {
        let mut b = Bitmap::new(384, 300);
        for y in 10..150 {
            b.set(5, y);
        }
        b.set(100, 299);
        let job = encode(&b);
        assert_eq!(&job[..2], &[ESC, b'@']);
        assert_eq!(&job[job.len() - 3..], &[GS, b'V', 1]);
        // 141 drawn rows of 48 bytes, plus headers and feeds: far less than 300 full rows.
        assert!(job.len() < 141 * 48 + 200, "{} bytes", job.len());
        let back = decode(&job, 384).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn a_truncated_job_is_an_error_not_a_panic() {
        let mut b = Bitmap::new(384, 20);
        b.set(1, 1);
        let job = encode(&b);
        for cut in 1..job.len() - 3 {
            let _ = decode(&job[..cut], 384);
        }
        assert!(matches!(
            decode(&job[..20], 384),
            Err(DecodeError::Truncated(_))
        ));
        assert!(matches!(decode(&[0x42], 384), Err(DecodeError::Unknown(0))));
    }
}
