# Writes seed_ae.json. Run from the repository root:  Rscript tests/reference/safety/seed_ae.R
# Adverse events built to match the text of the seed study (Zhou et al., BMC Surg
# 2021;21:308, "Treatment-related AEs" and Table 4): HIFU 4 of 8 patients with any grade,
# pain and fatigue in 3 each, fever, ALT/AST increased, skin edema, no grade >= 3; PC 10 of
# 16 with any grade (62.5%), 4 of 16 with grade 3-4 (25%). Graded by CTCAE v4.0.
# Counted independently of oncostat: the highest grade per patient and term (and overall,
# "Any adverse event"), patients without events in the denominator, and fisher.test() of
# patients with / without the event by arm, for any grade and for grade >= 3. The second
# set counts treatment-related events only (possible, probable, definite).
ev <- read.csv("tests/reference/safety/data/seed_ae.csv", stringsAsFactors = FALSE)
pts <- read.csv("tests/reference/safety/data/seed_patients.csv", stringsAsFactors = FALSE)
arms <- unique(pts$arm)
n <- sapply(arms, function(a) sum(pts$arm == a))

count <- function(ev) {
  per_term <- aggregate(grade ~ patient + term, data = ev, FUN = max)
  overall <- aggregate(grade ~ patient, data = ev, FUN = max)
  overall$term <- "Any adverse event"
  mx <- rbind(overall[, c("patient", "term", "grade")], per_term)
  mx$arm <- pts$arm[match(mx$patient, pts$patient)]
  lapply(c("Any adverse event", sort(unique(ev$term))), function(t) {
    m <- mx[mx$term == t, ]
    any_n <- sapply(arms, function(a) sum(m$arm == a))
    g3_n <- sapply(arms, function(a) sum(m$arm == a & m$grade >= 3))
    list(term = t, arms = arms, n = unname(n), any_n = unname(any_n), grade3_n = unname(g3_n),
         any_p = fisher.test(rbind(any_n, n - any_n))$p.value,
         grade3_p = fisher.test(rbind(g3_n, n - g3_n))$p.value)
  })
}
related <- ev[ev$attribution %in% c("possible", "probable", "definite"), ]
out <- list(generated_by = "tests/reference/safety/seed_ae.R", r = R.version.string,
            call = "aggregate(grade ~ patient + term, ev, max); fisher.test(rbind(x, n - x))",
            all = count(ev), related = count(related))
jsonlite::write_json(out, "tests/reference/safety/seed_ae.json",
                     digits = NA, auto_unbox = TRUE, pretty = TRUE)
