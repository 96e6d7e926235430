import { screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { Composer } from '../components/Composer';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { MemberList } from '../components/MemberList';
import { MessageList } from '../components/MessageList';
import { NamePicker } from '../components/NamePicker';
import { RoomList } from '../components/RoomList';
import { entry, renderWithLocale } from '../components/test-utils';
import { browserLocale, en, loadMessages, pickLocale } from '.';
import { zhCN } from './zh-CN';

describe('locale', () => {
  it('picks Simplified Chinese for any Chinese preference, English otherwise', () => {
    expect(pickLocale(['zh-CN'])).toBe('zh-CN');
    expect(pickLocale(['zh'])).toBe('zh-CN');
    expect(pickLocale(['zh-Hans-SG', 'en'])).toBe('zh-CN');
    expect(pickLocale(['en-GB', 'zh-CN'])).toBe('en');
    expect(pickLocale(['fr-FR', 'zh-TW'])).toBe('zh-CN');
    expect(pickLocale(['fr-FR', 'de'])).toBe('en');
    expect(pickLocale([])).toBe('en');
  });

  it('reads navigator.languages, falling back to navigator.language', () => {
    expect(browserLocale({ languages: ['zh-CN', 'en'], language: 'zh-CN' })).toBe('zh-CN');
    expect(browserLocale({ languages: [], language: 'zh-CN' })).toBe('zh-CN');
    expect(browserLocale({ languages: [], language: 'en-US' })).toBe('en');
  });

  it('loads each dictionary', async () => {
    expect(await loadMessages('en')).toBe(en);
    expect(await loadMessages('zh-CN')).toBe(zhCN);
  });

  it('has every string in both languages, none empty', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const value of [...(Object.values(en) as unknown[]), ...(Object.values(zhCN) as unknown[])]) {
      if (typeof value === 'string') expect(value.length).toBeGreaterThan(0);
    }
  });
});

describe('the UI in Simplified Chinese', () => {
  it('says why a name cannot be had now, and a rename over budget', async () => {
    renderWithLocale(
      <NamePicker onSubmit={vi.fn()} error="rate_limited" errorWaitMs={90_000} initialName="alice" />,
      'zh-CN',
    );
    expect(screen.getByRole('alert')).toHaveTextContent(
      '你所在的网络刚刚有太多新用户加入。请约 2 分钟后再试。',
    );
    expect(zhCN.renameRateLimited(3)).toBe('改名太频繁了。约 3 分钟后可以再改。');
    expect(zhCN.renameRateLimited(null)).toBe('改名太频繁了。请稍后再试。');
    await Promise.resolve();
  });

  it('labels the name form', () => {
    renderWithLocale(<NamePicker onSubmit={vi.fn()} error="name_taken" initialName="alice" />, 'zh-CN');
    expect(screen.getByRole('textbox', { name: '你的名字' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '加入聊天' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('“\u2068alice\u2069”已被其他人使用');
  });

  it('labels the composer, rooms, members and messages', () => {
    renderWithLocale(
      <>
        <RoomList
          rooms={[{ name: 'general', unread: 2 }]}
          current={null}
          onSelect={vi.fn()}
          onJoin={vi.fn()}
        />
        <MemberList
          members={[{ id: 'u1', name: 'alice' }]}
          count={5012}
          complete={false}
          selfId="u1"
          hasMore
          onMore={vi.fn()}
        />
        <MessageList
          room="general"
          entries={[entry({ text: 'hi', status: 'failed' })]}
          hasMore={false}
          loadingOlder={false}
          onLoadOlder={vi.fn()}
          onRetry={vi.fn()}
          onDiscard={vi.fn()}
        />
        <Composer room="general" onSend={() => ({ ok: true, id: 'x' })} />
      </>,
      'zh-CN',
    );
    expect(screen.getByRole('navigation', { name: '房间' })).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: '房间名' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '加入房间' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /general.*2 条未读消息/ })).toBeInTheDocument();
    expect(screen.getByRole('list', { name: '成员' })).toBeInTheDocument();
    expect(screen.getByRole('searchbox', { name: '搜索成员' })).toBeInTheDocument();
    expect(screen.getByText('共 5,012 位成员，显示 1 位')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '显示更多成员' })).toBeInTheDocument();
    expect(screen.getByRole('log', { name: '消息列表' })).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: '消息' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '发送' })).toBeInTheDocument();
  });

  it('says what the connection does', () => {
    renderWithLocale(
      <ConnectionStatus
        status={{ kind: 'reconnecting', attempt: 1, retryAt: 3000 }}
        rttMs={null}
        onRetryNow={vi.fn()}
        now={() => 0}
      />,
      'zh-CN',
    );
    expect(screen.getByRole('status')).toHaveTextContent('3 秒后重新连接');
    expect(screen.getByRole('button', { name: '立即重试' })).toBeInTheDocument();
  });

  it('says the server is restarting', () => {
    renderWithLocale(
      <ConnectionStatus
        status={{ kind: 'reconnecting', attempt: 1, retryAt: 1000, restarting: true }}
        rttMs={null}
        onRetryNow={vi.fn()}
        now={() => 0}
      />,
      'zh-CN',
    );
    expect(screen.getByRole('status')).toHaveTextContent('服务器正在重启…正在重新连接');
  });
});
