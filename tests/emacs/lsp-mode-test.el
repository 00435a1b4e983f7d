;;; lsp-mode-test.el --- headless lsp-mode 8.0 with the set-up of docs/clients/emacs.md  -*- lexical-binding: t -*-
;; The documented lsp-mode elisp is loaded as it stands (MODELROUTE_INIT); `modelroute` is found on
;; PATH as after the documented install. Then, as a user would: lsp-mode on a Python file, `M-x
;; lsp-execute-code-action` on the directive line and the first (routed) action picked, which runs
;; the model (a fake provider plays it) and edits the buffer.
;; Environment: MODELROUTE_INIT, MODELROUTE_FILE (a Python file, directive on line 5), MODELROUTE_ROOT.
;; Prints ACTION/BUFFER/RESULT lines; exits 1 on failure.
(setq debug-on-error nil)
(require 'cl-lib)
(load (expand-file-name "support.el" (file-name-directory load-file-name)) nil t)
;; lsp-mode keeps its session (imported project roots) under user-emacs-directory: a private one.
(setq user-emacs-directory (file-name-as-directory (make-temp-file "modelroute-emacs-" t)))
(setq lsp-session-file (expand-file-name "lsp-session" user-emacs-directory))
(load (getenv "MODELROUTE_INIT") nil t)

(setq modelroute-test-dump-function
      (lambda ()
        (let ((log (get-buffer "*lsp-log*")))
          (when log (with-current-buffer log (princ (buffer-substring-no-properties (point-min) (point-max))))))))

(condition-case err
    (progn
      ;; What answering `i` to lsp-mode's first "import project root?" question does.
      (lsp-workspace-folders-add (getenv "MODELROUTE_ROOT"))
      (find-file (getenv "MODELROUTE_FILE"))
      (python-mode)          ; runs the documented hook: lsp-deferred
      (lsp)                  ; what lsp-deferred does once Emacs is idle, which batch mode never is
      (modelroute-test-wait "lsp-mode to initialize modelroute"
                            (lambda () (and (lsp-workspaces)
                                            (eq (lsp--workspace-status (car (lsp-workspaces))) 'initialized)))
                            90)
      (let ((original (buffer-string)))
        (goto-char (point-min)) (forward-line 4) (end-of-line)
        ;; M-x lsp-execute-code-action, the first entry picked.
        (cl-letf (((symbol-function 'completing-read) #'modelroute-test-pick-first))
          (call-interactively #'lsp-execute-code-action))
        (modelroute-test-wait "the run's edit" (lambda () (not (equal (buffer-string) original))) 90))
      (modelroute-test-print-buffer)
      (princ "RESULT ok\n")
      (kill-emacs 0))
  (error (modelroute-test-fail "%S" err)))
