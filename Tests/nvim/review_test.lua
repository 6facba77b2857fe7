-- Headless test of the plugin's review commands (:BosunChanges, :BosunApply, :BosunDiscard)
-- against the real `bosun serve` and a scripted `bosun mock-provider` whose coder workers
-- write into their layers. Run by Tests/python/test_nvim_plugin.py (BOSUN_BIN,
-- BOSUN_TEST_CONFIG, BOSUN_TEST_WORKSPACE, BOSUN_TEST_DB come from there).

local support = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h') .. '/support.lua')
local check, wait_for, noted, buffer_lines = support.check, support.wait_for, support.noted, support.buffer_lines

local workspace = vim.env.BOSUN_TEST_WORKSPACE

local function read(path)
  return table.concat(vim.fn.readfile(workspace .. '/' .. path), '\n')
end

support.run(function()
  local bosun = require('bosun')
  local client = require('bosun.client')
  bosun.setup({ cmd = vim.env.BOSUN_BIN, config = vim.env.BOSUN_TEST_CONFIG, db = vim.env.BOSUN_TEST_DB,
    root_dir = workspace, browser = false })

  -- Spawns a coder for `task` and waits for it to succeed; returns its id.
  local function coder(task)
    local before = client.state.last_worker
    vim.cmd('BosunSpawn coder ' .. task)
    wait_for('the coder for "' .. task .. '"', function()
      local id = client.state.last_worker
      return id ~= before and id ~= nil and client.state.workers[id].state == 'succeeded'
    end)
    return client.state.last_worker
  end

  -- A coder edits notes.txt: the workspace keeps the original until :BosunApply.
  local id = coder('Edit the notes')
  check(read('notes.txt') == 'original', 'the workspace is unchanged before apply: ' .. read('notes.txt'))
  wait_for('the changes event', function()
    local changes = client.state.workers[id].changes
    return changes and changes.state == 'pending' and vim.deep_equal(changes.files, { 'notes.txt' })
  end)

  -- Worker and orchestration ids complete; :BosunApply then completes the worker's files.
  check(vim.tbl_contains(vim.fn.getcompletion('BosunChanges w_', 'cmdline'), id), 'worker ids complete for :BosunChanges')
  check(vim.tbl_contains(vim.fn.getcompletion('BosunDiscard ', 'cmdline'), id), 'worker ids complete for :BosunDiscard')
  check(vim.deep_equal(vim.fn.getcompletion('BosunApply ' .. id .. ' no', 'cmdline'), { 'notes.txt' }),
    ":BosunApply completes the worker's changed files: "
      .. vim.inspect(vim.fn.getcompletion('BosunApply ' .. id .. ' no', 'cmdline')))

  -- :BosunChanges: the files and the unified diff in a scratch split with the diff filetype.
  vim.cmd('BosunChanges ' .. id)
  wait_for('the changes split', function() return vim.api.nvim_buf_get_name(0):match('bosun://changes/' .. id) end)
  local split = buffer_lines(0)
  check(vim.bo.filetype == 'diff' and vim.bo.buftype == 'nofile', 'a scratch buffer with the diff filetype: '
    .. vim.bo.filetype .. '/' .. vim.bo.buftype)
  check(split:match('^# ' .. id .. ' pending, based on ' .. vim.pesc(workspace)) and split:match('\n# M notes%.txt  %+1 %-1\n')
    and split:match('\ndiff %-%-git a/notes%.txt b/notes%.txt\n') and split:match('\n%-original\n%+edited'),
    'the split lists the file and holds the diff:\n' .. split)
  vim.cmd('close')

  -- :BosunApply writes it, and a buffer showing the file follows.
  vim.cmd('edit ' .. workspace .. '/notes.txt')
  local notes_buf = vim.api.nvim_get_current_buf()
  vim.cmd('BosunApply ' .. id)
  wait_for('the apply', function() return noted('^bosun: applied ' .. id .. ': notes%.txt$') end)
  check(read('notes.txt') == 'edited', 'apply wrote the file: ' .. read('notes.txt'))
  wait_for('the open buffer to show the applied text', function() return buffer_lines(notes_buf) == 'edited' end)
  vim.cmd('bwipeout!')

  -- A second coder edits the same line; the user changes it too: :BosunApply is a conflict
  -- that says why and writes nothing; :BosunDiscard throws the worker's edit away.
  local second = coder('Edit the notes again')
  vim.fn.writefile({ 'mine' }, workspace .. '/notes.txt')
  vim.cmd('BosunApply ' .. second)
  wait_for('the conflict', function() return noted('^bosun: apply ' .. second .. ': 1 conflict', vim.log.levels.WARN) end)
  check(noted('apply ' .. second):match('nothing written: notes%.txt %(' .. second .. '%): %S'),
    'the conflict names the file and the reason: ' .. noted('apply ' .. second))
  check(read('notes.txt') == 'mine', 'a conflict writes nothing: ' .. read('notes.txt'))
  vim.cmd('BosunDiscard ' .. second)
  wait_for('the discard', function() return noted('^bosun: discarded ' .. second .. ': notes%.txt$') end)
  wait_for('the discarded state', function()
    local changes = client.state.workers[second].changes
    return changes and changes.state == 'discarded'
  end)
  check(read('notes.txt') == 'mine', 'discard leaves the workspace as it is')

  -- :BosunApply with paths writes only those of the worker's files.
  local third = coder('Write two files')
  vim.cmd('BosunApply ' .. third .. ' a.txt')
  wait_for('the apply of one path', function() return noted('^bosun: applied ' .. third .. ': a%.txt$') end)
  check(read('a.txt') == 'first' and vim.fn.filereadable(workspace .. '/b.txt') == 0,
    'only a.txt was applied')

  -- Without an id the last worker is meant; an orchestration id is sent as orchestrationId,
  -- and bosun's own error names it.
  vim.cmd('BosunChanges')
  wait_for('the changes of the last worker', function()
    return vim.api.nvim_buf_get_name(0):match('bosun://changes/' .. third)
  end)
  -- What the partial apply left waits: the worker is still pending, with only b.txt to review.
  local listed = buffer_lines(0)
  check(listed:match('^# ' .. third .. ' pending,') and listed:match('\n# A b%.txt  %+1 %-0\n') and not listed:match('a%.txt'),
    'only what is left listed, still pending:\n' .. listed)
  vim.cmd('close')
  vim.cmd('BosunChanges o_nobody')
  wait_for('the error', function() return noted('changes failed', vim.log.levels.ERROR) end)
  check(noted('changes failed'):match('o_nobody'), "bosun's message names the orchestration: " .. noted('changes failed'))

  -- An orchestration's changes: every subtask's, reviewed and applied by its id.
  bosun.orchestrate('Write the plan', { apply = 'manual' })
  wait_for('the orchestration split', function() return vim.api.nvim_buf_get_name(0):match('bosun://orchestrate/o_') end,
    60000)
  local orchestration = vim.api.nvim_buf_get_name(0):match('bosun://orchestrate/(o_%w+)')
  vim.cmd('close')
  check(vim.fn.filereadable(workspace .. '/plan.txt') == 0, 'apply manual leaves the changes waiting')
  check(vim.tbl_contains(vim.fn.getcompletion('BosunChanges o_', 'cmdline'), orchestration), 'orchestration ids complete')
  vim.cmd('BosunChanges ' .. orchestration)
  wait_for('the orchestration changes split', function()
    return vim.api.nvim_buf_get_name(0):match('bosun://changes/' .. orchestration)
  end)
  check(buffer_lines(0):match('\n# A plan%.txt  %+1 %-0\n') and buffer_lines(0):match('\n%+planned'),
    "the subtask's file and diff:\n" .. buffer_lines(0))
  vim.cmd('close')
  vim.cmd('BosunApply ' .. orchestration)
  wait_for('the orchestration applied', function() return noted('^bosun: applied ' .. orchestration .. ': plan%.txt$') end)
  check(read('plan.txt') == 'planned', 'its file was written')

  bosun.stop()
  wait_for('bosun serve to exit', function() return not client.state.ready and not client.state.starting end)
end)
