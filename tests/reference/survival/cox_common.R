# Shared code for the Cox reference scripts tests/reference/survival/cox_<data>.R; each is run
# from the repository root, e.g.  Rscript tests/reference/survival/cox_lung.R
# A script writes its input data to data/cox_<data>.csv, reads it back (so R fits exactly the
# numbers the Python tests read), fits coxph() for each spec, and writes cox_<data>.json with
# the spec (so the tests need no R), the estimates and tests from summary(), and cox.zph().
suppressPackageStartupMessages(library(survival))
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor() level order = Python's sorted()

REF_DIR <- "tests/reference/survival"
# Tight convergence so both sides agree at rtol 1e-6 (the defaults are eps = 1e-9, iter.max = 20).
CTRL <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)

write_data <- function(d, name) {
  dir.create(file.path(REF_DIR, "data"), showWarnings = FALSE, recursive = TRUE)
  path <- file.path(REF_DIR, "data", paste0("cox_", name, ".csv"))
  write.csv(d, path, row.names = FALSE)
  read.csv(path, stringsAsFactors = FALSE)
}

spec <- function(id, covariates, ties = "efron", strata = character(0), cluster = NA,
                 robust = FALSE, reference = list(), time = "time", event = "status") {
  list(id = id, time = time, event = event, covariates = covariates, ties = ties,
       strata = strata, cluster = cluster, robust = robust, reference = reference)
}

# summary() rounds the test statistics (to 2 decimals), so they are taken from the fit.
chisq_test <- function(stat, df) list(statistic = num(stat), df = df,
                                      p = pchisq(num(stat), df, lower.tail = FALSE))
num <- function(x) as.numeric(unname(x))

fit_one <- function(d, s) {
  for (v in names(s$reference)) d[[v]] <- relevel(factor(d[[v]]), s$reference[[v]])
  rhs <- c(s$covariates,
           if (length(s$strata)) sprintf("strata(%s)", paste(s$strata, collapse = ", ")),
           if (!is.na(s$cluster)) sprintf("cluster(%s)", s$cluster))
  f <- as.formula(sprintf("Surv(%s, %s) ~ %s", s$time, s$event, paste(rhs, collapse = " + ")))
  fit <- if (s$robust) coxph(f, data = d, ties = s$ties, robust = TRUE, control = CTRL)
         else coxph(f, data = d, ties = s$ties, control = CTRL)
  sm <- summary(fit)
  cf <- sm$coefficients
  ci <- sm$conf.int
  robust <- "robust se" %in% colnames(cf)
  cols <- unlist(lapply(s$covariates, function(v) {
    x <- d[[v]]
    if (is.character(x) || is.factor(x)) paste0(v, "[", levels(factor(x))[-1], "]") else v
  }))
  stopifnot(length(cols) == length(coef(fit)))
  zph <- cox.zph(fit)$table
  sp <- s[-1]
  sp$covariates <- I(s$covariates)
  sp$strata <- I(s$strata)
  sp$reference <- if (length(s$reference)) s$reference else setNames(list(), character(0))
  list(
    id = s$id, spec = sp,
    call = deparse1(fit$call), formula = deparse1(f), n = fit$n, nevent = fit$nevent,
    n_omitted = length(fit$na.action), iter = fit$iter, columns = I(cols),
    coef = I(num(cf[, "coef"])), se = I(num(cf[, "se(coef)"])),
    robust_se = if (robust) I(num(cf[, "robust se"])) else NA,
    hr = I(num(ci[, "exp(coef)"])), hr_ci_low = I(num(ci[, 3])), hr_ci_high = I(num(ci[, 4])),
    z = I(num(cf[, "z"])), p = I(num(cf[, "Pr(>|z|)"])),
    loglik_null = fit$loglik[1], loglik = fit$loglik[2],
    lr_test = chisq_test(2 * diff(fit$loglik), length(cols)),
    wald_test = chisq_test(fit$wald.test, length(cols)),
    score_test = chisq_test(fit$score, length(cols)),
    robust_score_test = if (robust) chisq_test(fit$rscore, length(cols)) else NA,
    zph = list(term = I(rownames(zph)), chisq = I(num(zph[, "chisq"])),
               df = I(num(zph[, "df"])), p = I(num(zph[, "p"]))))
}

cox_fixture <- function(name, d, specs, source) {
  d <- write_data(d, name)
  out <- list(generated_by = file.path(REF_DIR, paste0("cox_", name, ".R")),
              r = R.version.string, survival = as.character(packageVersion("survival")),
              source = source, data = file.path("survival", "data", paste0("cox_", name, ".csv")),
              fits = lapply(specs, function(s) fit_one(d, s)))
  jsonlite::write_json(out, file.path(REF_DIR, paste0("cox_", name, ".json")),
                       digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
  invisible(out)
}
