# Writes small_study_bcg.json (and data/ss_bcg.csv). Run from the repository root:
#   Rscript tests/reference/meta/small_study_bcg.R
# BCG vaccine trials (dat.bcg): Egger's test (regtest, both models), Begg's rank test (ranktest),
# Peters' test (lm by hand) and trim and fill (L0, R0) for log OR and log RR, fixed effect,
# M-H and every tau2 estimator, plus Hartung-Knapp.
source("tests/reference/meta/_small_study.R")

ss_fixture("small_study_bcg.R", list(bcg = function(d) c(
  list(small_study_analysis(d, "OR", "MH"), small_study_analysis(d, "OR", "FE")),
  lapply(TAU2_METHODS, function(m) small_study_analysis(d, "OR", m)),
  list(small_study_analysis(d, "OR", "REML", test = "knha"),
       small_study_analysis(d, "RR", "FE"), small_study_analysis(d, "RR", "REML")))))
