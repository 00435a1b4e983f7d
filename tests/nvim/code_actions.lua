-- Headless Neovim (0.7.2 and 0.11.4) against `modelroute serve`: open a file with a directive, ask for code
-- actions, check they are priced, then pick the first one the way a user would.
-- Inputs from the environment: MR_ROOT (workspace), MR_FILE (relative path), MR_LINE (0-based
-- directive line), MR_CMD (JSON array: the server command), MR_OUT (result file).
local root = os.getenv("MR_ROOT")
local out = os.getenv("MR_OUT")
local line = tonumber(os.getenv("MR_LINE"))
local cmd = vim.fn.json_decode(os.getenv("MR_CMD"))
local result = { titles = {}, messages = {}, notifications = {}, picked = nil }

local function finish(ok, why)
  result.ok = ok
  result.why = why
  local f = io.open(out, "w")
  f:write(vim.fn.json_encode(result))
  f:close()
  if ok then vim.cmd("qall!") else vim.cmd("cquit! 1") end
end

-- The defaults block or prompt in a headless session.
vim.lsp.handlers["window/showMessageRequest"] = function() return vim.NIL end
vim.lsp.handlers["window/showMessage"] = function(_, params)
  table.insert(result.messages, params.message)
end
vim.notify = function(msg) table.insert(result.notifications, tostring(msg)) end
vim.ui.select = function(items, _, on_choice)
  result.picked = items[1] and (items[1].action or items[1][2] or items[1]).title
  on_choice(items[1], 1)
end

local ready = false
local client_id = vim.lsp.start_client({
  name = "modelroute",
  cmd = cmd,
  root_dir = root,
  init_options = { modelroute = { objective = "balanced" } },
  on_init = function() ready = true end,
})
if not client_id then finish(false, "start_client failed") end

vim.cmd("edit " .. vim.fn.fnameescape(root .. "/" .. os.getenv("MR_FILE")))
local bufnr = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(bufnr, client_id)
if not vim.wait(60000, function() return ready end, 50) then finish(false, "no initialize answer") end

local client = vim.lsp.get_client_by_id(client_id)
local params = {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  range = { start = { line = line, character = 0 }, ["end"] = { line = line, character = 0 } },
  context = { diagnostics = {} },
}
-- 0.11 made client methods colon calls; 0.7 has only dot calls.
local response
if vim.fn.has("nvim-0.11") == 1 then
  response = client:request_sync("textDocument/codeAction", params, 60000, bufnr)
else
  response = client.request_sync("textDocument/codeAction", params, 60000, bufnr)
end
if not response or response.err or not response.result then
  finish(false, "codeAction failed: " .. vim.inspect(response))
end
for _, action in ipairs(response.result) do
  table.insert(result.titles, action.title)
  if action.title ~= "Why this model?" and not (action.command and action.command.command == "modelroute.run") then
    finish(false, "action without a run command: " .. vim.inspect(action))
  end
end

-- The real UI path: code_action() -> vim.ui.select -> codeAction/resolve -> executeCommand.
vim.api.nvim_win_set_cursor(0, { line + 1, 0 })
vim.lsp.buf.code_action()
local ran = vim.wait(60000, function()
  for _, m in ipairs(result.messages) do
    -- no provider key in this test: the run answers that the model cannot run and what to set
    if m:find("cannot run", 1, true) then return true end
  end
  return false
end, 50)
if not ran then finish(false, "picking an action did not reach modelroute.run") end
finish(true, "")
