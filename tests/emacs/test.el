;;; test.el --- headless eglot 1.9 against modelroute serve  -*- lexical-binding: t -*-
;; With the set-up from docs/clients/emacs.md.
;; Environment: MODELROUTE_INIT (the docs' elisp), MODELROUTE_CMD (server executable),
;; MODELROUTE_FILE (a Python file with a directive on line 5). Prints RESULT lines; exit 1 on failure.
(setq debug-on-error nil)
(load (getenv "MODELROUTE_INIT") nil t)
(setq eglot-server-programs
      (cons (cons '(python-mode) (list (getenv "MODELROUTE_CMD") "serve")) eglot-server-programs))
(setq eglot-confirm-server-initiated-edits nil)
(defun modelroute-test-fail (fmt &rest args)
  (princ (concat "FAIL " (apply #'format fmt args) "\n"))
  (kill-emacs 1))
(condition-case err
    (progn
      (find-file (getenv "MODELROUTE_FILE"))
      (python-mode)
      (eglot-ensure)
      (run-hooks (quote post-command-hook)) ; eglot-ensure starts from post-command-hook, which batch mode never runs
      (let ((deadline (+ (float-time) 20)))
        (while (and (not (eglot-current-server)) (< (float-time) deadline))
          (accept-process-output nil 0.1)))
      (let ((server (or (eglot-current-server) (modelroute-test-fail "no server"))))
        (goto-char (point-min)) (forward-line 4)
        (let* ((pos (eglot--pos-to-lsp-position (point)))
               (actions (jsonrpc-request server :textDocument/codeAction
                                         (list :textDocument (eglot--TextDocumentIdentifier)
                                               :range (list :start pos :end pos)
                                               :context (list :diagnostics [])))))
          (when (< (length actions) 2) (modelroute-test-fail "code actions: %S" actions))
          (seq-doseq (a actions) (princ (format "ACTION %s\n" (plist-get a :title)))))
        ;; The documented command, with the minibuffer answered.
        (let (asked offered run-args)
          (cl-letf (((symbol-function 'completing-read)
                     (lambda (prompt choices &rest _) (setq offered choices asked prompt) (caar choices)))
                    ((symbol-function 'eglot-execute-command)
                     (let ((real (symbol-function 'eglot-execute-command)))
                       (lambda (srv cmd args)
                         (if (equal cmd "modelroute.run") (setq run-args (aref args 0))
                           (funcall real srv cmd args))))))
            (modelroute-route "add type hints and a docstring"))
          (princ (format "PROMPT %s\n" asked))
          (princ (format "CHOICES %d\n" (length offered)))
          (princ (format "RUN %s\n" (plist-get run-args :model)))
          (unless (and offered (plist-get run-args :model)) (modelroute-test-fail "route flow")))
        (eglot-shutdown server))
      (princ "RESULT ok\n")
      (kill-emacs 0))
  (error (modelroute-test-fail "%S" err)))
