//! ASCII sparklines for `LATENCY GRAPH`, drawn as Redis's sparkline.c draws
//! them (filled style): `rows` rows of `_o#|` per column, one blank row, then
//! each sample's label written downwards. A sequence longer than `columns`
//! continues in another block after an empty line.

/// Characters for the three heights within one row, filled style.
const FILL: &[u8; 3] = b"_o#";
/// Blank rows between the graph and the labels.
const LABEL_MARGIN_TOP: usize = 1;

/// A sequence of samples, each with an optional label.
#[derive(Default)]
pub struct Sequence {
    samples: Vec<(f64, Option<String>)>,
    labels: usize,
    min: f64,
    max: f64,
}

impl Sequence {
    pub fn push(&mut self, value: f64, label: &str) {
        if self.samples.is_empty() {
            self.min = value;
            self.max = value;
        } else if value < self.min {
            self.min = value;
        } else if value > self.max {
            self.max = value;
        }
        let label = (!label.is_empty()).then(|| label.to_string());
        self.labels += label.is_some() as usize;
        self.samples.push((value, label));
    }

    /// The graph, `columns` samples per block and `rows` rows high.
    pub fn render(&self, out: &mut String, columns: usize, rows: usize) {
        let mut start = 0;
        while start < self.samples.len() {
            let len = (self.samples.len() - start).min(columns);
            if start != 0 {
                out.push('\n');
            }
            self.render_range(out, rows, start, len);
            start += columns;
        }
    }

    fn render_range(&self, out: &mut String, rows: usize, offset: usize, len: usize) {
        let steps = (FILL.len() * rows) as i64;
        let mut relmax = self.max - self.min;
        if relmax == 0.0 {
            relmax = 1.0;
        }
        let mut line = vec![b' '; len];
        let mut row = 0;
        loop {
            let mut more = false;
            line.fill(b' ');
            for (j, (value, label)) in self.samples[offset..offset + len].iter().enumerate() {
                // As sparkline.c: the product is truncated before the division.
                let step = ((((value - self.min) * steps as f64) as i64) as f64 / relmax) as i64;
                let step = step.clamp(0, steps - 1);
                if row < rows {
                    more = true;
                    let idx = step - ((rows - row - 1) * FILL.len()) as i64;
                    if (0..FILL.len() as i64).contains(&idx) {
                        line[j] = FILL[idx as usize];
                    } else if idx >= FILL.len() as i64 {
                        line[j] = b'|';
                    }
                } else {
                    if self.labels > 0 && row - rows < LABEL_MARGIN_TOP {
                        more = true;
                        break;
                    }
                    if let Some(label) = label {
                        let at = row - rows - LABEL_MARGIN_TOP;
                        if let Some(&c) = label.as_bytes().get(at) {
                            more = true;
                            line[j] = c;
                        }
                    }
                }
            }
            if !more {
                break;
            }
            row += 1;
            out.push_str(&String::from_utf8_lossy(&line));
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Sequence;

    #[test]
    fn draws_heights_and_labels_downwards() {
        let mut seq = Sequence::default();
        seq.push(100.0, "9s");
        seq.push(300.0, "12s");
        seq.push(200.0, "");
        let mut out = String::new();
        seq.render(&mut out, 80, 4);
        // 12 steps over 100..=300: 300 is the top step (11: `#` in the
        // top row), 200 is step 6 (`_` in the second row), 100 step 0.
        let expected = [
            " # ", //
            " |_", //
            " ||", //
            "_||", //
            "   ", // label margin
            "91 ", //
            "s2 ", //
            " s ", //
        ];
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn long_sequences_continue_in_blocks() {
        let mut seq = Sequence::default();
        for i in 0..5 {
            seq.push(i as f64, "");
        }
        let mut out = String::new();
        seq.render(&mut out, 3, 1);
        assert_eq!(out, "__o\n\n##\n");
    }
}
