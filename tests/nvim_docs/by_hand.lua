-- Neovim 0.11+: the doc's "write it by hand" block (vim.lsp.config + vim.lsp.enable, no module) as
-- the whole init.lua. Opens a Python file with a directive and asks for code actions on it.
-- Environment: MR_INIT (the block), MR_FILE, MR_LINE (1-based), MR_OUT (JSON result).
local result = { titles = {} }
local function finish(ok, why)
  result.ok, result.why = ok, why
  local f = assert(io.open(os.getenv('MR_OUT'), 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd(ok and 'qall!' or 'cquit! 1')
end
vim.defer_fn(function() finish(false, 'watchdog: still running after 170 s') end, 170000)

local ok, err = xpcall(function()
  vim.cmd('filetype plugin indent on')
  dofile(os.getenv('MR_INIT'))
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('MR_FILE')))
  local bufnr = vim.api.nvim_get_current_buf()
  local client
  if not vim.wait(60000, function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = 'modelroute' })[1]
    return client ~= nil and client.initialized == true
  end, 20) then
    return finish(false, 'the by-hand config attached no initialized modelroute client')
  end
  result.root_dir = client.root_dir
  local line = tonumber(os.getenv('MR_LINE')) - 1
  local response = client:request_sync('textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = line, character = 0 }, ['end'] = { line = line, character = 0 } },
    context = { diagnostics = {} },
  }, 60000, bufnr)
  if not response or response.err or not response.result then
    return finish(false, 'codeAction failed: ' .. vim.inspect(response))
  end
  for _, action in ipairs(response.result) do
    table.insert(result.titles, action.title)
  end
  finish(true, '')
end, debug.traceback)
if not ok then
  finish(false, 'error: ' .. tostring(err))
end
