//! Small-cell suppression for every table the centre's pages and exports show.
//!
//! A table counts people: rows (stations, districts, weeks) by columns (what was counted). Each
//! column has its total over the rows; when the columns split one whole (the bands of one
//! questionnaire), each row has its total too, and the table a grand total. A count below
//! [`MIN_SHOWN`] could point at a few people, so it is never shown, and neither is any figure
//! that could be worked out from what is shown: a line (a row or a column with its total) may
//! not hide exactly one of its figures, since that one is the total minus the rest, and the
//! figures a line hides may not add up to less than [`MIN_SHOWN`], since the total would reveal
//! that sum. Where rows add up, that holds for zeros too: a line whose hidden cells add up to
//! nothing shows that each is zero, and a cell known to be zero gives away its neighbours in
//! the lines that cross it. A table of columns alone has no crossing lines, so there hidden
//! zeros may stay alone. Where a line breaks either rule, the smallest count it still shows is
//! hidden too, and the lines are checked again until none does (the kiosk's week view follows
//! the same rules for its one line, `src/mood/week.rs`).
//!
//! The rows of a table whose rows do not add up may also fall into groups, and the groups into
//! larger ones (stations by kind within a district, districts in the city): each group's total
//! of each column is shown, and is a line with the groups or rows inside it, and a member of
//! the line of the group above. Where rows fall into groups, a hidden zero takes a partner too.
//!
//! Totals are hidden only when they are themselves small, or when nothing else in their line
//! is left to hide: the same total appears on other pages (a district's figure is the total of
//! its stations' table), and choosing the same cells everywhere keeps one page from showing
//! what another hides.
//!
//! The tests check the rules exhaustively on small tables against an exact search of every
//! table a reader could reconstruct from what is shown.

/// The smallest count ever shown.
pub const MIN_SHOWN: u64 = 11;

/// The counts of one table, before anything is hidden. Never shown as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// One vector per row, each as long as the others.
    pub cells: Vec<Vec<u64>>,
    /// Whether the columns split one whole, so that each row's total (and the grand total)
    /// is shown.
    pub rows_add_up: bool,
    /// Ways the rows fall into groups, coarsest first, each a group number (from 0, none
    /// skipped) per row, and each splitting the groups of the one before (districts, then
    /// station kinds within a district); every group's total of every column is shown. None
    /// when the rows add up. Groups that cross (kinds across districts) are refused: a
    /// reader could subtract one group from another that overlaps it, which line-by-line
    /// rules do not see (the exhaustive test found such tables).
    pub groupings: Vec<Vec<usize>>,
}

/// What may be shown of a table: `None` where a figure is hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub cells: Vec<Vec<Option<u64>>>,
    /// Each column's total over the rows.
    pub column_totals: Vec<Option<u64>>,
    /// Each row's total, when the columns add up (else empty).
    pub row_totals: Vec<Option<u64>>,
    /// The total of everything, when the columns add up (else `None`).
    pub grand_total: Option<u64>,
    /// For each grouping, each group's total of each column.
    pub group_totals: Vec<Vec<Vec<Option<u64>>>>,
}

/// A figure of a table: an inner cell, a row's or a column's total, or the grand total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Figure {
    Cell(usize, usize),
    RowTotal(usize),
    ColumnTotal(usize),
    Grand,
    /// Grouping, group, column.
    GroupTotal(usize, usize, usize),
}

/// A line of the table: figures that add up to a total shown beside them.
struct Line {
    members: Vec<Figure>,
    total: Figure,
}

impl Counts {
    fn rows(&self) -> usize {
        self.cells.len()
    }

    fn columns(&self) -> usize {
        self.cells.first().map_or(0, Vec::len)
    }

    /// How many groups a grouping has.
    fn groups(&self, grouping: usize) -> usize {
        self.groupings[grouping].iter().max().map_or(0, |g| g + 1)
    }

    /// The rows in one group.
    fn rows_in(&self, grouping: usize, group: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.rows()).filter(move |&r| self.groupings[grouping][r] == group)
    }

    fn value(&self, figure: Figure) -> u64 {
        match figure {
            Figure::Cell(r, c) => self.cells[r][c],
            Figure::RowTotal(r) => self.cells[r].iter().sum(),
            Figure::ColumnTotal(c) => self.cells.iter().map(|row| row[c]).sum(),
            Figure::Grand => self.cells.iter().flatten().sum(),
            Figure::GroupTotal(k, g, c) => self.rows_in(k, g).map(|r| self.cells[r][c]).sum(),
        }
    }

    /// The figure a group total is: a group of one row is that row's cell, a group of every
    /// row is the column's total, and a group with the same rows as a group of the first
    /// grouping is that group's total. A reader sees that they are equal, so they are shown
    /// or hidden together, as one figure.
    fn canonical(&self, figure: Figure) -> Figure {
        let Figure::GroupTotal(k, g, c) = figure else {
            return figure;
        };
        let rows: Vec<usize> = self.rows_in(k, g).collect();
        if let [one] = rows[..] {
            return Figure::Cell(one, c);
        }
        if rows.len() == self.rows() {
            return Figure::ColumnTotal(c);
        }
        // Groupings nest, so the only group of an earlier one that can have the same rows is
        // the one holding this group's first row.
        (0..k)
            .map(|earlier| (earlier, self.groupings[earlier][rows[0]]))
            .find(|&(earlier, h)| self.rows_in(earlier, h).eq(rows.iter().copied()))
            .map_or(figure, |(earlier, h)| Figure::GroupTotal(earlier, h, c))
    }

    /// Every figure the table shows, inner cells first.
    fn figures(&self) -> Vec<Figure> {
        let (rows, columns) = (self.rows(), self.columns());
        let mut figures: Vec<Figure> = (0..rows)
            .flat_map(|r| (0..columns).map(move |c| Figure::Cell(r, c)))
            .collect();
        figures.extend((0..columns).map(Figure::ColumnTotal));
        if self.rows_add_up {
            figures.extend((0..rows).map(Figure::RowTotal));
            figures.push(Figure::Grand);
        }
        for k in 0..self.groupings.len() {
            for g in 0..self.groups(k) {
                figures.extend(
                    (0..columns)
                        .map(|c| Figure::GroupTotal(k, g, c))
                        .filter(|&f| self.canonical(f) == f),
                );
            }
        }
        figures
    }

    /// Every line whose total is shown beside its members.
    fn lines(&self) -> Vec<Line> {
        let (rows, columns) = (self.rows(), self.columns());
        let mut lines: Vec<Line> = (0..columns)
            .map(|c| Line {
                members: (0..rows).map(|r| Figure::Cell(r, c)).collect(),
                total: Figure::ColumnTotal(c),
            })
            .collect();
        if self.rows_add_up {
            lines.extend((0..rows).map(|r| Line {
                members: (0..columns).map(|c| Figure::Cell(r, c)).collect(),
                total: Figure::RowTotal(r),
            }));
            lines.push(Line {
                members: (0..columns).map(Figure::ColumnTotal).collect(),
                total: Figure::Grand,
            });
            lines.push(Line {
                members: (0..rows).map(Figure::RowTotal).collect(),
                total: Figure::Grand,
            });
        }
        for c in 0..columns {
            lines.extend(self.group_lines(c));
        }
        lines
    }

    /// The lines of one column's groups, a tree: each distinct group (and the column's total)
    /// is the total of the largest groups and rows inside it.
    fn group_lines(&self, c: usize) -> Vec<Line> {
        if self.groupings.is_empty() {
            return Vec::new();
        }
        // The finest distinct group of a grouping before `before` that holds `row`, other than
        // `itself`; the column's total when there is none.
        let canonical: Vec<Vec<Figure>> = (0..self.groupings.len())
            .map(|k| {
                (0..self.groups(k))
                    .map(|g| self.canonical(Figure::GroupTotal(k, g, c)))
                    .collect()
            })
            .collect();
        let above = |row: usize, before: usize, itself: Figure| -> Figure {
            (0..before)
                .rev()
                .map(|k| canonical[k][self.groupings[k][row]])
                .find(|&f| f != itself && matches!(f, Figure::GroupTotal(..)))
                .unwrap_or(Figure::ColumnTotal(c))
        };
        let mut members: std::collections::BTreeMap<Figure, Vec<Figure>> = Default::default();
        for r in 0..self.rows() {
            let cell = Figure::Cell(r, c);
            let total = above(r, self.groupings.len(), cell);
            members.entry(total).or_default().push(cell);
        }
        for (k, groups) in canonical.iter().enumerate() {
            for (g, &same) in groups.iter().enumerate() {
                let group = Figure::GroupTotal(k, g, c);
                if same != group {
                    continue;
                }
                let row = self.rows_in(k, g).next().expect("a group has a row");
                members.entry(above(row, k, group)).or_default().push(group);
            }
        }
        members
            .into_iter()
            .map(|(total, members)| Line { members, total })
            .collect()
    }

    /// The figure this line must hide next, if it gives away a hidden one.
    fn next_to_hide(&self, line: &Line, hidden: &[Figure]) -> Option<Figure> {
        let is_hidden = |f: &Figure| hidden.contains(f);
        let hidden_members: Vec<Figure> = line.members.iter().copied().filter(is_hidden).collect();
        let hidden_count = hidden_members.len() + usize::from(is_hidden(&line.total));
        let hidden_sum: u64 = hidden_members.iter().map(|&f| self.value(f)).sum();
        // Zeros hidden alone are read as zeros; that gives no one away unless a crossing line
        // then has one unknown left, and only tables whose rows add up or fall into groups
        // have crossing lines.
        let zeros_alone_are_safe =
            !self.rows_add_up && self.groupings.is_empty() && hidden_sum == 0;
        let gives_away = hidden_count == 1
            || (!is_hidden(&line.total)
                && hidden_count > 0
                && hidden_sum < MIN_SHOWN
                && !zeros_alone_are_safe);
        if !gives_away {
            return None;
        }
        // The smallest member still shown (ties: the first); the total when none is left.
        let smallest = line
            .members
            .iter()
            .copied()
            .filter(|f| !is_hidden(f))
            .min_by_key(|&f| self.value(f));
        Some(smallest.unwrap_or(line.total))
    }

    /// What may be shown of this table.
    pub fn suppress(&self) -> Shown {
        assert!(
            self.groupings.is_empty() || !self.rows_add_up,
            "groupings are for rows that do not add up"
        );
        assert!(self.groupings.iter().all(|g| g.len() == self.rows()));
        for pair in self.groupings.windows(2) {
            // Each grouping splits the groups of the one before: no two groups cross.
            let mut coarser_of = std::collections::HashMap::new();
            for (fine, coarse) in pair[1].iter().zip(&pair[0]) {
                assert_eq!(
                    *coarser_of.entry(fine).or_insert(coarse),
                    coarse,
                    "a grouping must split the groups of the one before it"
                );
            }
        }
        let mut hidden: Vec<Figure> = self
            .figures()
            .into_iter()
            .filter(|&f| self.value(f) < MIN_SHOWN)
            .collect();
        let lines = self.lines();
        // Each round hides one more figure, so this ends within as many rounds as figures.
        while let Some(next) = lines
            .iter()
            .find_map(|line| self.next_to_hide(line, &hidden))
        {
            hidden.push(next);
        }
        let show = |f: Figure| (!hidden.contains(&f)).then(|| self.value(f));
        let (rows, columns) = (self.rows(), self.columns());
        Shown {
            cells: (0..rows)
                .map(|r| (0..columns).map(|c| show(Figure::Cell(r, c))).collect())
                .collect(),
            column_totals: (0..columns).map(|c| show(Figure::ColumnTotal(c))).collect(),
            row_totals: if self.rows_add_up {
                (0..rows).map(|r| show(Figure::RowTotal(r))).collect()
            } else {
                Vec::new()
            },
            grand_total: if self.rows_add_up {
                show(Figure::Grand)
            } else {
                None
            },
            group_totals: (0..self.groupings.len())
                .map(|k| {
                    (0..self.groups(k))
                        .map(|g| {
                            (0..columns)
                                .map(|c| show(self.canonical(Figure::GroupTotal(k, g, c))))
                                .collect()
                        })
                        .collect()
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(cells: &[&[u64]], rows_add_up: bool) -> Shown {
        Counts {
            cells: cells.iter().map(|row| row.to_vec()).collect(),
            rows_add_up,
            groupings: Vec::new(),
        }
        .suppress()
    }

    #[test]
    fn a_table_of_large_counts_is_shown_whole() {
        let s = shown(&[&[20, 30], &[11, 40]], true);
        assert_eq!(s.cells, [[Some(20), Some(30)], [Some(11), Some(40)]]);
        assert_eq!(s.column_totals, [Some(31), Some(70)]);
        assert_eq!(s.row_totals, [Some(50), Some(51)]);
        assert_eq!(s.grand_total, Some(101));
    }

    #[test]
    fn a_small_cell_takes_the_smallest_of_its_column_with_it() {
        // Columns only (visits and slips are not parts of one whole): station B's 3 slips would
        // be the column's total minus A's and C's.
        let s = shown(&[&[50, 20], &[40, 3], &[60, 12]], false);
        assert_eq!(s.cells[1], [Some(40), None]);
        assert_eq!(s.cells[2], [Some(60), None]);
        assert_eq!(s.cells[0], [Some(50), Some(20)]);
        assert_eq!(s.column_totals, [Some(150), Some(35)]);
        assert!(s.row_totals.is_empty());
        assert_eq!(s.grand_total, None);
    }

    #[test]
    fn hidden_cells_that_add_up_to_a_small_number_take_another_with_them() {
        // 4 and 5 hidden add up to 9, which the column's total would give away.
        let s = shown(&[&[4], &[5], &[30], &[40]], false);
        assert_eq!(
            s.cells,
            [vec![None], vec![None], vec![None], vec![Some(40)]]
        );
    }

    #[test]
    fn hidden_zeros_take_a_partner_only_where_lines_cross() {
        // Columns alone: zeros read as zeros give no one away.
        let s = shown(&[&[0], &[0], &[30]], false);
        assert_eq!(s.cells, [vec![None], vec![None], vec![Some(30)]]);
        let s = shown(&[&[0], &[40], &[30]], false);
        assert_eq!(s.cells, [vec![None], vec![Some(40)], vec![None]]);
        // Rows that add up: a zero known to be a zero would leave one unknown in its column
        // (the exhaustive test below found such a table), so the zeros of a row take a partner.
        let s = shown(&[&[40, 0, 0], &[12, 30, 25]], true);
        assert_eq!(s.row_totals, [Some(40), Some(67)]);
        assert_eq!(s.cells[0], [None, None, None]);
    }

    #[test]
    fn a_small_total_is_hidden_with_everything_in_its_line() {
        let s = shown(&[&[3, 4], &[30, 40]], true);
        assert_eq!(s.row_totals[0], None);
        assert_eq!(s.cells[0], [None, None]);
        // Both columns now hide one cell each, so each hides a second.
        assert_eq!(s.cells[1], [None, None]);
    }

    /// The hidden figures a reader cannot work out from what is shown: those that differ
    /// between the true table and some other table of whole numbers, none below zero, that
    /// agrees with every shown cell and total.
    ///
    /// The shown totals are sums over rows, over columns and over everything, so the
    /// constraints form two laminar families and their matrix is totally unimodular. Then
    /// every difference between two such tables is a sum of elementary differences with
    /// entries -1, 0 and 1 of the same signs, and one of those that changes a figure is on its
    /// own a valid move from the true table. So trying every move of -1, 0 or +1 on each hidden
    /// cell finds every figure that can change: the check is exact, not a sample.
    fn figures_that_can_change(counts: &Counts, s: &Shown) -> Vec<Figure> {
        let (rows, columns) = (counts.rows(), counts.columns());
        let hidden_cells: Vec<(usize, usize)> = (0..rows)
            .flat_map(|r| (0..columns).map(move |c| (r, c)))
            .filter(|&(r, c)| s.cells[r][c].is_none())
            .collect();
        let mut shown_totals: Vec<Figure> = (0..columns)
            .filter(|&c| s.column_totals[c].is_some())
            .map(Figure::ColumnTotal)
            .collect();
        shown_totals.extend(
            (0..s.row_totals.len())
                .filter(|&r| s.row_totals[r].is_some())
                .map(Figure::RowTotal),
        );
        if s.grand_total.is_some() {
            shown_totals.push(Figure::Grand);
        }
        for (k, groups) in s.group_totals.iter().enumerate() {
            for (g, totals) in groups.iter().enumerate() {
                for (c, total) in totals.iter().enumerate() {
                    if total.is_some() {
                        shown_totals.push(Figure::GroupTotal(k, g, c));
                    }
                }
            }
        }
        // Each figure and each shown total as the hidden cells it adds up, by index.
        let members = |figure: Figure| -> Vec<usize> {
            (0..hidden_cells.len())
                .filter(|&i| {
                    let (r, c) = hidden_cells[i];
                    match figure {
                        Figure::Cell(fr, fc) => (r, c) == (fr, fc),
                        Figure::RowTotal(fr) => r == fr,
                        Figure::ColumnTotal(fc) => c == fc,
                        Figure::Grand => true,
                        Figure::GroupTotal(k, g, fc) => c == fc && counts.groupings[k][r] == g,
                    }
                })
                .collect()
        };
        let constraints: Vec<Vec<usize>> = shown_totals.into_iter().map(members).collect();
        let figures: Vec<(Figure, Vec<usize>)> = counts
            .figures()
            .into_iter()
            .map(|f| (f, members(f)))
            .collect();
        // A cell holding zero can only move up.
        let choices: Vec<&[i64]> = hidden_cells
            .iter()
            .map(|&(r, c)| {
                if counts.cells[r][c] == 0 {
                    &[0, 1][..]
                } else {
                    &[0, 1, -1][..]
                }
            })
            .collect();
        // A constraint is checked as soon as its last cell has moved, which prunes the search.
        let checked_at: Vec<Vec<&Vec<usize>>> = (0..hidden_cells.len())
            .map(|i| {
                constraints
                    .iter()
                    .filter(|of| of.last() == Some(&i))
                    .collect()
            })
            .collect();
        let mut can_change = Vec::new();
        let mut delta = vec![0i64; hidden_cells.len()];
        try_moves(
            0,
            &choices,
            &checked_at,
            &figures,
            &mut delta,
            &mut can_change,
        );
        can_change
    }

    fn try_moves(
        next: usize,
        choices: &[&[i64]],
        checked_at: &[Vec<&Vec<usize>>],
        figures: &[(Figure, Vec<usize>)],
        delta: &mut [i64],
        can_change: &mut Vec<Figure>,
    ) {
        let sum = |delta: &[i64], of: &[usize]| of.iter().map(|&i| delta[i]).sum::<i64>();
        if next == delta.len() {
            for (figure, of) in figures {
                if sum(delta, of) != 0 && !can_change.contains(figure) {
                    can_change.push(*figure);
                }
            }
            return;
        }
        for &step in choices[next] {
            delta[next] = step;
            if checked_at[next].iter().all(|of| sum(delta, of) == 0) {
                try_moves(next + 1, choices, checked_at, figures, delta, can_change);
            }
        }
        delta[next] = 0;
    }

    /// Checks one table: nothing small is shown, and no hidden figure that counts between 1
    /// and 10 people can be worked out from what is shown.
    fn check(cells: Vec<Vec<u64>>, rows_add_up: bool, groupings: &[Vec<usize>]) {
        let counts = Counts {
            cells,
            rows_add_up,
            groupings: groupings.to_vec(),
        };
        let s = counts.suppress();
        let shown_figures = s
            .cells
            .iter()
            .flatten()
            .chain(&s.column_totals)
            .chain(&s.row_totals)
            .chain(std::iter::once(&s.grand_total))
            .chain(s.group_totals.iter().flatten().flatten());
        for figure in shown_figures.flatten() {
            assert!(*figure >= MIN_SHOWN, "{counts:?} shows {figure}");
        }
        let can_change = figures_that_can_change(&counts, &s);
        for figure in counts.figures() {
            let truth = counts.value(figure);
            if (1..MIN_SHOWN).contains(&truth) {
                assert!(
                    can_change.contains(&figure),
                    "{counts:?}: {figure:?} = {truth} can be worked out from {s:?}"
                );
            }
        }
    }

    #[test]
    fn no_small_count_can_be_worked_out_from_any_small_table() {
        // Every table of these shapes with cells from these values. Without row totals each
        // column is a line of its own that shares nothing with the others, so one column of
        // four covers those tables; with row totals the lines cross, so 2 x 2, 3 x 2, 2 x 3 and
        // 3 x 3 cover a single small cell, small cells in one line, small cells across lines and
        // small totals.
        let tables = |rows: usize, columns: usize, values: &'static [u64]| {
            let n = rows * columns;
            let count = values.len().pow(n as u32);
            (0..count).map(move |mut i| {
                let mut flat = Vec::with_capacity(n);
                for _ in 0..n {
                    flat.push(values[i % values.len()]);
                    i /= values.len();
                }
                flat.chunks(columns)
                    .map(<[u64]>::to_vec)
                    .collect::<Vec<_>>()
            })
        };
        let mut checked = 0;
        for (rows, columns, values, rows_add_up) in [
            (4, 1, &[0, 1, 6, 10, 11, 15, 40][..], false),
            (2, 2, &[0, 1, 4, 9, 11, 12, 25][..], true),
            (3, 2, &[0, 2, 9, 11, 20][..], true),
            (2, 3, &[0, 2, 9, 11, 20][..], true),
            (3, 3, &[0, 3, 12][..], true),
        ] {
            for cells in tables(rows, columns, values) {
                check(cells, rows_add_up, &[]);
                checked += 1;
            }
        }
        assert_eq!(
            checked,
            7usize.pow(4) * 2 + 2 * 5usize.pow(6) + 3usize.pow(9)
        );
    }

    #[test]
    fn a_small_station_is_not_given_away_by_its_district() {
        // Stations 0 and 1 in district A, 2 and 3 in B: station 0's 3 would be A's total minus
        // station 1's 30.
        let counts = Counts {
            cells: vec![vec![3], vec![30], vec![40], vec![50]],
            rows_add_up: false,
            groupings: vec![vec![0, 0, 1, 1]],
        };
        let s = counts.suppress();
        assert_eq!(s.cells[0], [None]);
        assert!(s.cells[1][0].is_none() || s.group_totals[0][0][0].is_none());
        check(counts.cells.clone(), false, &counts.groupings);
    }

    #[test]
    #[should_panic(expected = "must split the groups")]
    fn groups_that_cross_are_refused() {
        // Districts A A B B and kinds x y x y: kind x is not inside one district.
        Counts {
            cells: vec![vec![20]; 4],
            rows_add_up: false,
            groupings: vec![vec![0, 0, 1, 1], vec![0, 1, 2, 1]],
        }
        .suppress();
    }

    #[test]
    fn no_small_count_can_be_worked_out_from_stations_in_kinds_in_districts() {
        // One column (columns share nothing) of four or five stations, in districts and in
        // kinds within each district, every way listed: groups of one, groups of all, a
        // kind that is its whole district. The lines form one tree, a nested family, whose
        // matrix is totally unimodular as well, so the search above stays exact.
        type Way = &'static [&'static [usize]];
        let four: &[Way] = &[
            &[&[0, 0, 1, 1]],
            &[&[0, 0, 0, 1]],
            &[&[0, 0, 0, 0]],
            &[&[0, 0, 1, 1], &[0, 1, 2, 2]],
            &[&[0, 0, 1, 1], &[0, 0, 1, 2]],
            &[&[0, 0, 0, 1], &[0, 0, 1, 2]],
            &[&[0, 0, 0, 0], &[0, 0, 1, 1]],
        ];
        let five: &[Way] = &[
            &[&[0, 0, 1, 1, 1]],
            &[&[0, 0, 1, 1, 1], &[0, 1, 2, 2, 3]],
            &[&[0, 0, 0, 1, 1], &[0, 0, 1, 2, 2]],
            &[&[0, 0, 0, 0, 1], &[0, 0, 1, 1, 2]],
        ];
        let values4: &[u64] = &[0, 1, 6, 10, 11, 15, 40];
        let values5: &[u64] = &[0, 2, 9, 11, 25];
        let mut checked = 0;
        for (ways, values) in [(four, values4), (five, values5)] {
            for way in ways {
                let way: Vec<Vec<usize>> = way.iter().map(|g| g.to_vec()).collect();
                let rows = way[0].len();
                for mut i in 0..values.len().pow(rows as u32) {
                    let mut cells = Vec::with_capacity(rows);
                    for _ in 0..rows {
                        cells.push(vec![values[i % values.len()]]);
                        i /= values.len();
                    }
                    check(cells, false, &way);
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 7 * 7usize.pow(4) + 4 * 5usize.pow(5));
    }
}
