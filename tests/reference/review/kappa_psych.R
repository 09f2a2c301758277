# Writes kappa_psych.json. Run from the repository root:
#   Rscript tests/reference/review/kappa_psych.R
# Cohen's kappa with the Fleiss, Cohen & Everitt (1969) large-sample variance, as
# psych::cohen.kappa computes it, for two published two-rater tables.
library(psych)
one <- function(counts, name) {
  res <- cohen.kappa(counts)
  list(name = name, table = counts, kappa = res$kappa, var_kappa = res$var.kappa,
       ci_low = res$confid[1, 1], ci_high = res$confid[1, 3])
}
# Fleiss, Levin & Paik (2003), section 18.1: 100 subjects, psychiatric diagnoses
# (psychological, neurological, organic) by two raters; proportions x 100.
fleiss <- matrix(c(75, 1, 4,
                   5, 4, 1,
                   0, 0, 10), nrow = 3, byrow = TRUE)
# statpsych::ci.kappa example (Fleiss & Paik 2003 style 2x2): f00 = 31, f01 = 12,
# f10 = 4, f11 = 58; rows rater y, columns rater x.
bonett <- matrix(c(31, 12,
                   4, 58), nrow = 2, byrow = TRUE)
# Few records and high agreement: kappa + 1.96 SE passes 1, and psych cuts the CI at 1.
small <- matrix(c(6, 1,
                  1, 5), nrow = 2, byrow = TRUE)
out <- list(generated_by = "tests/reference/review/kappa_psych.R", r = R.version.string,
            psych = as.character(packageVersion("psych")),
            tables = list(one(fleiss, "fleiss_2003_s18_1"), one(bonett, "statpsych_ci_kappa"),
                          one(small, "small_ci_cut_at_1")))
jsonlite::write_json(out, "tests/reference/review/kappa_psych.json",
                     digits = NA, auto_unbox = TRUE, pretty = TRUE)
