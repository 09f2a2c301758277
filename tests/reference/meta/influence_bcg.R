# Writes influence_bcg.json (and data/ss_bcg.csv). Run from the repository root:
#   Rscript tests/reference/meta/influence_bcg.R
# metafor influence() (Viechtbauer & Cheung 2010) on dat.bcg: log OR fixed effect, REML, DL, PM,
# REML with Hartung-Knapp, and log RR REML.
source("tests/reference/meta/_small_study.R")

ss_fixture("influence_bcg.R", list(bcg = function(d) list(
  influence_analysis(d, "OR", "FE"), influence_analysis(d, "OR", "REML"),
  influence_analysis(d, "OR", "DL"), influence_analysis(d, "OR", "PM"),
  influence_analysis(d, "OR", "REML", test = "knha"), influence_analysis(d, "RR", "REML"))))
