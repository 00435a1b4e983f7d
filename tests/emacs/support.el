;;; support.el --- what the headless Emacs drivers share  -*- lexical-binding: t -*-
;; Loaded by test.el (eglot) and lsp-mode-test.el before the documented set-up.

(defvar modelroute-test-dump-function nil
  "Called with no arguments on failure to print what the client logged.")

(defun modelroute-test-fail (fmt &rest args)
  "Print FAIL and the client's log, then exit 1."
  (princ (concat "FAIL " (apply #'format fmt args) "\n"))
  (when modelroute-test-dump-function
    (ignore-errors (funcall modelroute-test-dump-function)))
  (kill-emacs 1))

(defun modelroute-test-wait (what pred seconds)
  "Process server output until PRED holds, or fail naming WHAT.
SECONDS bounds only how long a broken step takes to fail."
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    (unless (funcall pred) (modelroute-test-fail "timed out waiting for %s" what))))

(defun modelroute-test-print-buffer ()
  "The current buffer, one BUFFER line per line."
  (dolist (line (split-string (buffer-substring-no-properties (point-min) (point-max)) "\n"))
    (princ (format "BUFFER %s\n" line))))

(defun modelroute-test-pick-first (_prompt choices &rest _)
  "A `completing-read' that prints each choice as an ACTION line and picks the first."
  (dolist (c choices) (princ (format "ACTION %s\n" (if (consp c) (car c) c))))
  (let ((first (car choices))) (if (consp first) (car first) first)))
