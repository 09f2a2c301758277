# Writes small_study_egger2001.json (and data/ss_egger2001.csv). Run from the repository root:
#   Rscript tests/reference/meta/small_study_egger2001.R
# Intravenous magnesium after myocardial infarction (dat.egger2001; Egger et al., BMJ 2001): small
# trials favour magnesium, the large ISIS-4 does not. Egger, Begg, Peters, trim and fill, log OR.
source("tests/reference/meta/_small_study.R")

ss_fixture("small_study_egger2001.R", list(egger2001 = function(d) list(
  small_study_analysis(d, "OR", "MH"), small_study_analysis(d, "OR", "FE"),
  small_study_analysis(d, "OR", "DL"), small_study_analysis(d, "OR", "REML"))))
